//! What the command tests share: the app as `run()` builds it, on the mock runtime, and an
//! IPC call as `ui/ipc.js` makes it.

use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// Builds the app with its real context (config and capabilities) plus one window with the
/// given label.
pub fn app_with_window(label: &str) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = vsl_studio_lib::builder(mock_builder())
        .build(vsl_studio_lib::context())
        .expect("the app builds on the mock runtime");
    let window = WebviewWindowBuilder::new(&app, label, WebviewUrl::default())
        .build()
        .expect("the window opens on the mock runtime");
    (app, window)
}

/// Invokes `command` with JSON `args` (camelCase keys, as the UI sends them); blocks until
/// the command answers.
pub fn invoke(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("a valid URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| {
        body.deserialize::<Value>()
            .expect("the response body is JSON")
    })
}
