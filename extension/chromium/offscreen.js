// The offscreen document: the one place in the browser profile where the wallet's node runs. It holds
// the wallet's Web Lock, spawns the node's worker (the web app's own, crates/host/src/worker.rs) and
// gives every page of the extension that connects (popup, tab, prompts) a MessagePort of its own to
// that worker. It relays bytes and reads none of them: the protocol is the worker's and the pages'.
// Offscreen documents reach only chrome.runtime of the extension APIs, which is all this needs.

// crates/host/src/browser/web_lock.rs: the same lock the web app's tabs take, so that no other
// context of this origin can open a second node on the same storage.
const WALLET_LOCK = 'blixtra-wallet';
const NODE_PORT = 'node';

let worker = null;
// Ports that connected before the worker's wasm had loaded and it listened (its first message).
let waiting = [];
// Ports handed to the worker, until their page goes.
const relayed = new Set();

function startWorker() {
  worker = new Worker('/node_worker_loader.js');
  worker.onmessage = () => {
    // The worker's hello on its own scope: from now on it takes ports.
    worker.onmessage = null;
    const ready = waiting;
    waiting = null;
    ready.forEach(hand);
  };
  worker.onerror = (event) => {
    // A panic: the node is gone, as a web app's worker would be. Every page hears it (its port
    // closes, and it says the node's process failed), and the next start gets a new worker.
    console.error('the node worker failed:', event.message);
    relayed.forEach((port) => port.disconnect());
    relayed.clear();
    (waiting ?? []).forEach((port) => port.disconnect());
    worker.terminate();
    waiting = [];
    startWorker();
  };
}

// Gives the worker one end of a channel for `port`, and relays between the two.
function hand(port) {
  relayed.add(port);
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => port.postMessage(event.data);
  port.onMessage.addListener((text) => channel.port1.postMessage(text));
  port.onDisconnect.addListener(() => {
    // The page went (the popup closed): the node runs on and stops writing to it.
    relayed.delete(port);
    channel.port1.postMessage(JSON.stringify({ kind: 'detach' }));
    channel.port1.close();
  });
  worker.postMessage('connect', [channel.port2]);
}

chrome.runtime.onConnect.addListener((port) => {
  // Only the extension's own pages, by their URL: its content scripts in websites' pages never
  // reach the node this way.
  const sender = port.sender ?? {};
  const fromWalletPage = sender.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
  if (port.name !== NODE_PORT || !fromWalletPage) {
    port.disconnect();
    return;
  }
  if (waiting !== null) {
    waiting.push(port);
  } else {
    hand(port);
  }
});

// The lock is held for the document's life; the worker starts once it is ours.
navigator.locks.request(WALLET_LOCK, () => {
  startWorker();
  return new Promise(() => {});
});
