// The extension's service worker (Chromium). It runs only on demand and cannot run the node: a
// service worker can start no Web Worker and is stopped when idle. It opens the offscreen document
// that does (offscreen.html), when a page of the wallet or a website's bridge asks for it
// (crates/host/src/browser/extension_host.rs and webln/bridge.js send 'open-node-host'), shows
// what the node asks for (the offscreen document reaches no API that could), and opens the Send page
// for a lightning: link the person clicked on a website (webln/links.js).
importScripts('shared/senders.js', 'shared/toolbar.js');

const NODE_HOST = 'offscreen.html';

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (message === 'open-node-host' && (fromWalletPage(sender) || fromWebsiteTop(sender))) {
    if (fromWalletPage(sender)) {
      clearWebsitePaid();
    }
    openNodeHost().then(() => reply(true), (error) => reply(String(error)));
    return true; // the answer comes later
  }
  if (message?.kind === 'open-lightning-link' && fromWebsiteTop(sender)) {
    openLightningLink(message);
    return false;
  }
  // From the offscreen document only: the node asks for a website's prompt, or says a site paid.
  if (sender.id === chrome.runtime.id && sender.url === chrome.runtime.getURL(NODE_HOST)) {
    if (message?.kind === 'open-prompt' && Number.isSafeInteger(message.id)) {
      openPrompt(message.id);
    } else if (message?.kind === 'website-paid') {
      sayWebsitePaid(message);
    }
  }
  return false;
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
