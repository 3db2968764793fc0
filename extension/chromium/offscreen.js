// The offscreen document's own part (Chromium): the node host (shared/node_host.js) runs here, and
// what the node asks for goes to the service worker, which has the windows and the toolbar.
startNodeHost((message) => chrome.runtime.sendMessage(message));
