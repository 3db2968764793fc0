// The extension's service worker (Chromium). It runs only on demand and cannot run the node: a
// service worker can start no Web Worker and is stopped when idle. Its one job is to open the
// offscreen document that does (offscreen.html), when a page of the wallet asks for it
// (crates/host/src/browser/extension_host.rs sends 'open-node-host').

const NODE_HOST = 'offscreen.html';

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Only the extension's own pages may ask, not its content scripts in websites' pages (a page of
  // the wallet may be in a tab too: its URL, not `sender.tab`, tells which it is).
  if (message !== 'open-node-host' || !fromWalletPage(sender)) {
    return false;
  }
  openNodeHost().then(() => reply(true), (error) => reply(String(error)));
  return true; // the answer comes later
});

let opening = null;

// One offscreen document per browser profile: pages that ask at once share the same opening.
function openNodeHost() {
  opening ??= open().finally(() => { opening = null; });
  return opening;
}

async function open() {
  const url = chrome.runtime.getURL(NODE_HOST);
  const existing = await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'], documentUrls: [url] });
  if (existing.length > 0) {
    return;
  }
  await chrome.offscreen.createDocument({
    url: NODE_HOST,
    reasons: ['WORKERS'],
    justification: "Runs the wallet's Lightning node in a Web Worker while the browser is open, so that it can be paid and pay with its popup closed.",
  });
}

function fromWalletPage(sender) {
  return sender.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
}
