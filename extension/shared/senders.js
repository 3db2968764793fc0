// Who sent a message or opened a port, as the browser reports it: for the background (which may
// only be asked to open the node host) and the node host (which hands out ports), so that both
// read a sender the same way.

// A page of the wallet (popup, tab, prompt; it may be in a tab, so its URL tells, not `sender.tab`).
function fromWalletPage(sender) {
  return sender.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
}

// The WebLN bridge in a website's top frame. It may only have the node host opened: what the site
// may do is decided behind it.
function fromWebsiteTop(sender) {
  return sender.id === chrome.runtime.id && sender.tab !== undefined && sender.frameId === 0 && /^https?:/.test(sender.url ?? '');
}
