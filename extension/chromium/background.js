// The extension's service worker (Chromium). It runs only on demand and cannot run the node: a
// service worker can start no Web Worker and is stopped when idle. Its one job is to open the
// offscreen document that does (offscreen.html), when a page of the wallet asks for it
// (crates/host/src/browser/extension_host.rs sends 'open-node-host').

const NODE_HOST = 'offscreen.html';

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // The extension's own pages, and the WebLN bridge in a website's top frame (a page of the wallet
  // may be in a tab too: its URL, not `sender.tab`, tells which it is). Opening the node host only
  // lets the site's calls reach the gate that decides what it may do.
  if (message === 'open-node-host' && (fromWalletPage(sender) || fromWebsiteTop(sender))) {
    if (fromWalletPage(sender)) {
      // The person looks at the wallet: what the badge said, its history now shows.
      chrome.action.setBadgeText({ text: '' });
    }
    openNodeHost().then(() => reply(true), (error) => reply(String(error)));
    return true; // the answer comes later
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

// A website's question in a window of its own, the size of the popup, on top.
function openPrompt(id) {
  chrome.windows.create({ url: chrome.runtime.getURL(`wallet.html?prompt=${id}`), type: 'popup', width: 380, height: 640, focused: true });
}

// A payment within a site's budget is made without asking: the toolbar says so until the popup is
// next opened (any page of the wallet clears it), and its title says who paid what.
function sayWebsitePaid({ origin, amount_sat, fee_sat }) {
  chrome.action.setBadgeText({ text: '⚡' });
  chrome.action.setTitle({ title: chrome.i18n.getMessage('website_paid', [String(origin), String(amount_sat), String(fee_sat)]) });
}

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

function fromWebsiteTop(sender) {
  return sender.id === chrome.runtime.id && sender.tab !== undefined && sender.frameId === 0 && /^https?:/.test(sender.url ?? '');
}
