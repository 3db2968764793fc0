// The node's host: the one place in the browser profile where the wallet's node runs, in Chromium's
// offscreen document (chromium/offscreen.html) and in Firefox's background page
// (firefox/background.js). It holds the wallet's Web Lock, spawns the node's
// worker (the web app's own, crates/host/src/worker.rs), gives every page of the extension that
// connects (popup, tab, prompts) a MessagePort of its own to that worker, and every website's WebLN
// bridge one labelled with the site's origin. It relays bytes and reads none of them: the protocol is
// the worker's and the pages'. It uses chrome.runtime only, all an offscreen document may reach (a
// background page reaches more; that page's own script uses it).

// crates/host/src/browser/web_lock.rs: the same lock the web app's tabs take, so that no other
// context of this origin can open a second node on the same storage.
const WALLET_LOCK = 'blixtra-wallet';
const NODE_PORT = 'node';
const WEBLN_PORT = 'webln';

let worker = null;
// Ports that connected before the worker's wasm had loaded and it listened (its first message).
let waiting = [];
// Ports handed to the worker, until their page goes.
const relayed = new Set();
// Websites' ports handed to the worker: closed if it fails, so that their bridges answer what waits.
const websites = new Set();
// Whether the node runs: the worker tells its host when it starts and stops.
let nodeRunning = false;
// Websites' calls sent to the node and not yet answered. An open website port alone is no work: a
// tab that once used WebLN keeps its port for its whole life.
let websiteCallsInFlight = 0;
// When the last page of the wallet went: a start it asked for may still be under way (the popup
// closed right after the unlock), and the node says it runs only once it does.
let lastPageGoneAt = 0;
const START_GRACE_MS = 120_000;

// Whether the host has work: a running node, a page connected or just gone, a website's call under
// way. Firefox's background page keeps itself awake while it has (firefox/background.js).
function nodeHostBusy() {
  const pageJustWent = Date.now() - lastPageGoneAt < START_GRACE_MS;
  return nodeRunning || relayed.size > 0 || pageJustWent || websiteCallsInFlight > 0 || (waiting?.length ?? 0) > 0;
}

function startWorker() {
  worker = new Worker('/node_worker_loader.js');
  worker.onmessage = () => {
    // The worker's hello on its own scope: from now on it takes ports.
    worker.onmessage = fromNode;
    const ready = waiting;
    waiting = null;
    ready.forEach(hand);
  };
  worker.onerror = (event) => {
    // A panic: the node is gone, as a web app's worker would be. Every page hears it (its port
    // closes, and it says the node's process failed), and the next start gets a new worker.
    console.error('the node worker failed:', event.message);
    nodeRunning = false;
    websiteCallsInFlight = 0;
    relayed.forEach((port) => port.disconnect());
    relayed.clear();
    websites.forEach((port) => port.disconnect());
    websites.clear();
    (waiting ?? []).forEach((port) => port.disconnect());
    worker.terminate();
    waiting = [];
    startWorker();
  };
}

// What the node asks of its host (crates/host/src/protocol.rs, FromNode), given to the host's own
// `nodeAsks`: to open a website's prompt window ({ kind: 'open-prompt', id }), or to say that a site
// paid within its budget ({ kind: 'website-paid', origin, amount_sat, fee_sat }).
let nodeAsks = () => {};

function fromNode(event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return;
  }
  if (message.kind === 'started' || message.kind === 'stopped') {
    nodeRunning = message.kind === 'started';
  } else if (message.kind === 'open_prompt' && Number.isSafeInteger(message.id)) {
    nodeAsks({ kind: 'open-prompt', id: message.id });
  } else if (message.kind === 'website_paid') {
    nodeAsks({ kind: 'website-paid', origin: String(message.origin), amount_sat: Number(message.amount_sat), fee_sat: Number(message.fee_sat) });
  }
}

// Gives the worker one end of a channel for `port`, and relays between the two. A website's port
// is labelled with its origin (crates/host/src/worker.rs reads the label).
function hand(port) {
  if (port.name === WEBLN_PORT) {
    handWebsite(port);
    return;
  }
  relayed.add(port);
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => port.postMessage(event.data);
  port.onMessage.addListener((text) => channel.port1.postMessage(text));
  port.onDisconnect.addListener(() => {
    // The page went (the popup closed): the node runs on and stops writing to it.
    relayed.delete(port);
    lastPageGoneAt = Date.now();
    channel.port1.postMessage(JSON.stringify({ kind: 'detach' }));
    channel.port1.close();
  });
  worker.postMessage('connect', [channel.port2]);
}

// A website's WebLN port: the worker reads its requests as WebLN calls of `origin` and answers
// only those; it hears none of the node's events.
function handWebsite(port) {
  const origin = websiteOrigin(port.sender);
  websites.add(port);
  const channel = new MessageChannel();
  // Each request gets one answer (crates/host/src/worker.rs): counted out and back in.
  let inFlight = 0;
  channel.port1.onmessage = (event) => {
    inFlight -= 1;
    websiteCallsInFlight -= 1;
    port.postMessage(event.data);
  };
  port.onMessage.addListener((text) => {
    if (typeof text === 'string') {
      inFlight += 1;
      websiteCallsInFlight += 1;
      channel.port1.postMessage(text);
    }
  });
  port.onDisconnect.addListener(() => {
    websites.delete(port);
    websiteCallsInFlight -= inFlight;
    inFlight = 0;
    channel.port1.close();
  });
  worker.postMessage(`website ${origin}`, [channel.port2]);
}

// The origin of a website's page as the browser says it (the bridge runs in top frames only), or
// null for anything else: https, or plain http on this computer only (loopback), where no network
// sits between the page and the browser.
function websiteOrigin(sender) {
  if (!sender || sender.id !== chrome.runtime.id || !sender.tab || sender.frameId !== 0 || typeof sender.url !== 'string') {
    return null;
  }
  try {
    const url = new URL(sender.url);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? url.origin : null;
  } catch {
    return null;
  }
}

// Starts the host: the lock, then the worker. `asks` hears what the node asks (see `fromNode`).
// Called at once when the host's page loads, so that the connection that woke it is heard.
function startNodeHost(asks) {
  nodeAsks = asks;
  chrome.runtime.onConnect.addListener(onConnect);
  // The lock is held for the page's life; the worker starts once it is ours.
  navigator.locks.request(WALLET_LOCK, () => {
    startWorker();
    return new Promise(() => {});
  });
}

function onConnect(port) {
  // The extension's own pages, by their URL, on the node's port; websites' bridges, by the tab's
  // top frame, on the WebLN port. A content script never reaches the node's protocol.
  const sender = port.sender ?? {};
  const allowed = (port.name === NODE_PORT && fromWalletPage(sender)) || (port.name === WEBLN_PORT && websiteOrigin(sender) !== null);
  if (!allowed) {
    port.disconnect();
    return;
  }
  if (waiting !== null) {
    waiting.push(port);
  } else {
    hand(port);
  }
}
