// What the extension's background (Chromium's service worker, Firefox's background page) shows the
// person: a website's prompt window, the toolbar's word that a site paid, and the Send page for a
// lightning: link they clicked on a website.

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

// The person looks at the wallet: what the badge said, its history now shows.
function clearWebsitePaid() {
  chrome.action.setBadgeText({ text: '' });
  chrome.action.setTitle({ title: chrome.i18n.getMessage('action_title') });
}

// A lightning: link the person clicked on a website (webln/links.js), when they turned that on: the
// wallet's Send page in a tab of its own, filled in with the link to check and confirm there. The
// setting is read again here: a content script's word is not enough to open a wallet page.
async function openLightningLink(message) {
  const uri = message?.uri;
  if (typeof uri !== 'string' || uri.length > 4096 || !/^lightning:/i.test(uri)) {
    return;
  }
  const stored = await chrome.storage.local.get('openLightningLinks');
  if (stored.openLightningLinks !== true) {
    return;
  }
  chrome.tabs.create({ url: chrome.runtime.getURL(`wallet.html?send=${encodeURIComponent(uri)}`) });
}
