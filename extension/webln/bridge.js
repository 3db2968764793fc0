// The bridge between a website's window.webln (provider.js) and the wallet's node: a content script
// in the isolated world, in the top frame only (the site that asks is always the top-level one the
// person sees). It checks what the page sends (text, its size, an id), has the extension's
// background open (Chromium's offscreen document) or wake (Firefox's background page) the node host,
// and relays over one port to it; the node host labels the port with this frame's origin as the
// browser reports it.
const TAG = 'blixtra-webln';
// crates/host/src/webln.rs: MAX_REQUEST_BYTES.
const MAX_REQUEST_BYTES = 16 * 1024;

let port = null;
let opening = null;
// Requests sent and not answered: answered with an error if the node's port goes.
const inFlight = new Set();

function reply(id, result) {
  window.postMessage({ tag: TAG, direction: 'reply', text: JSON.stringify({ id, ...result }) }, window.location.origin);
}

function fail(id, message) {
  reply(id, { error: { name: 'InternalError', message } });
}

function connect() {
  opening ??= chrome.runtime.sendMessage('open-node-host').then((answer) => {
    if (answer !== true) {
      throw new Error(`the wallet could not be opened: ${answer}`);
    }
    port = chrome.runtime.connect({ name: 'webln' });
    port.onMessage.addListener((text) => {
      if (typeof text !== 'string') {
        return;
      }
      try {
        inFlight.delete(JSON.parse(text).id);
      } catch {
        return;
      }
      window.postMessage({ tag: TAG, direction: 'reply', text }, window.location.origin);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      opening = null;
      // Not "try again": a payment sent before the node went may still complete.
      inFlight.forEach((id) => fail(id, "the wallet's node went away before it answered; a payment may still complete, so check before paying again"));
      inFlight.clear();
    });
  });
  // A failed opening is tried again by the next call, not kept.
  opening.catch(() => {
    opening = null;
  });
  return opening;
}

window.addEventListener('message', (event) => {
  const data = event.data;
  if (event.source !== window || !data || data.tag !== TAG || data.direction !== 'request' || typeof data.text !== 'string') {
    return;
  }
  let request;
  try {
    request = JSON.parse(data.text);
  } catch {
    return;
  }
  // The ids provider.js gives: whole numbers from 1 (the node reads them as u64).
  if (!Number.isSafeInteger(request.id) || request.id < 1) {
    return;
  }
  const bytes = new TextEncoder().encode(data.text).length;
  if (bytes > MAX_REQUEST_BYTES) {
    reply(request.id, { error: { name: 'InvalidDataError', message: `the request is ${bytes} bytes; at most ${MAX_REQUEST_BYTES} are read` } });
    return;
  }
  connect().then(
    () => {
      if (port === null) {
        fail(request.id, "the wallet's node went away before the call was sent; try again");
        return;
      }
      inFlight.add(request.id);
      port.postMessage(data.text);
    },
    (error) => fail(request.id, String(error.message ?? error)),
  );
});
