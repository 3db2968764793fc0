// lightning: links on websites, opened in the wallet's Send page when the person turned that on in
// the wallet's settings (off by default: then a link does what the browser does with it). An
// isolated-world content script in top frames: it sees the person's own clicks only (`isTrusted`: a
// page's script cannot click for them), and the Send page it opens only fills in what was clicked,
// to be checked and confirmed there. Nothing is paid from here.

// The setting, in the extension's storage (crates/host/src/browser/extension_host.rs writes it).
const OPEN_LIGHTNING_LINKS = 'openLightningLinks';
// Longer than any invoice or offer a link carries; a longer one is left to the browser.
const MAX_LINK_CHARS = 4096;

let openLightningLinks = false;
chrome.storage.local.get(OPEN_LIGHTNING_LINKS).then((stored) => {
  openLightningLinks = stored[OPEN_LIGHTNING_LINKS] === true;
});
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && OPEN_LIGHTNING_LINKS in changes) {
    openLightningLinks = changes[OPEN_LIGHTNING_LINKS].newValue === true;
  }
});

// In the capture phase, before the page's own handlers: a link the wallet takes is the wallet's.
document.addEventListener(
  'click',
  (event) => {
    if (!openLightningLinks || !event.isTrusted || event.button !== 0 || event.defaultPrevented) {
      return;
    }
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    const uri = link?.href ?? '';
    if (!/^lightning:/i.test(uri) || uri.length > MAX_LINK_CHARS) {
      return;
    }
    event.preventDefault();
    chrome.runtime.sendMessage({ kind: 'open-lightning-link', uri });
  },
  true,
);
