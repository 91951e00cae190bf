/*
 * learnmech docs: a Web Worker stand-in for pages opened from disk (file://).
 *
 * Browsers refuse `new Worker(url)` on file:// pages, and the site's search runs in a worker.
 * On file:// only, `Worker` is replaced by `IFrameWorker`: the worker script runs in a hidden
 * iframe of the same origin, whose `postMessage` is routed back to the page as "message"
 * events, and whose "message" listeners receive what the page posts. Material's search worker
 * knows this stand-in by the name `IFrameWorker`. The path of this file contains
 * "iframe-worker", so the theme's offline plugin adds no copy from a CDN.
 */
(function () {
  "use strict";
  if (location.protocol !== "file:") {
    return;
  }

  class IFrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.ready = false;
      this.queue = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      (document.body || document.documentElement).appendChild(this.frame);
      const scope = this.frame.contentWindow;
      scope.postMessage = (data) => {
        this.dispatchEvent(new MessageEvent("message", { data: data }));
      };
      const script = scope.document.createElement("script");
      script.src = new URL(url, document.baseURI).href;
      script.onload = () => {
        this.ready = true;
        this.queue.splice(0).forEach((data) => this.postMessage(data));
      };
      script.onerror = () => this.dispatchEvent(new Event("error"));
      scope.document.head.appendChild(script);
    }

    postMessage(data) {
      if (!this.ready) {
        this.queue.push(data);
        return;
      }
      this.frame.contentWindow.dispatchEvent(new MessageEvent("message", { data: data }));
    }

    terminate() {
      this.frame.remove();
    }
  }

  window.IFrameWorker = IFrameWorker;
  window.Worker = IFrameWorker;
})();
