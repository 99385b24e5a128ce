//! The webview's memory: WebKitGTK's default cache model is a web browser's, which keeps
//! decoded images and pages of history for fast back/forward. The app has one page, and its
//! images are slides already on disk, so every one scrolled past would stay decoded in memory
//! (an hour-long job has hundreds). The document-viewer model keeps almost nothing cached.

use tauri::{AppHandle, Manager, Runtime};

/// Sets the cache model of the main window's web context. Only WebKitGTK has one; elsewhere,
/// and on the mock runtime of the tests, there is nothing to do.
pub fn tune<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let result = window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(error) = result {
        tracing::warn!("cannot set the webview's cache model: {error}");
    }
}
