// The extension's background page (Firefox). Firefox has no offscreen documents, but its background
// page may start a Web Worker, so the node's host (shared/node_host.js) runs here, and what the node
// asks for (a website's prompt window, the toolbar's word that a site paid) is done here directly, as
// is opening the Send page for a lightning: link the person clicked on a website (webln/links.js).
//
// Firefox stops an idle background page after about 30 s, and the node's worker with it: a running
// Worker does not count as activity, an extension API call does (measured with Firefox ESR 153). So
// while the host has work (`nodeHostBusy`: the node runs, a page is connected or just went, a
// website's call is under way) the page calls a cheap API every 20 s; a locked wallet with no page
// open lets it sleep. If it does stop, the next page or website that
// asks wakes it ('open-node-host') and the host starts again.

const KEEP_AWAKE_EVERY_MS = 20_000;

startNodeHost((message) => {
  if (message.kind === 'open-prompt') {
    openPrompt(message.id);
  } else if (message.kind === 'website-paid') {
    sayWebsitePaid(message);
  }
});

setInterval(() => {
  if (nodeHostBusy()) {
    chrome.runtime.getPlatformInfo();
  }
}, KEEP_AWAKE_EVERY_MS);

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (message === 'open-node-host' && (fromWalletPage(sender) || fromWebsiteTop(sender))) {
    if (fromWalletPage(sender)) {
      clearWebsitePaid();
    }
    // This page is the node host: being asked woke it, and its ports are listened for already.
    reply(true);
  } else if (message?.kind === 'open-lightning-link' && fromWebsiteTop(sender)) {
    openLightningLink(message);
  }
  return false;
});
