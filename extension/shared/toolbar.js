// What the extension's background (Chromium's service worker) shows the person: a website's prompt
// window, and the toolbar's word that a site paid. Kept apart for Firefox's background page.

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
