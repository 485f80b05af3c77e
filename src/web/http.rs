//! `fetch`, as the protocol needs it: a form POST to the token endpoint and a JSON GET for
//! discovery, keys and userinfo, each with a timeout, no cookies, and no redirects followed.

use crate::error::{Code, Error, Result};
use crate::response;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, ReadableStreamDefaultReader, RequestCredentials, RequestInit, RequestRedirect,
    Response as JsResponse,
};

pub(crate) use crate::flow::Response;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A response body (web-sys's `ReadableStream`), with `getReader(options)` bound with
    /// `catch`: whatever it throws is this request's failure, never an exception out of the
    /// wasm (which would leave the flow pending forever).
    type Body;
    #[wasm_bindgen(method, js_name = getReader, catch)]
    fn get_reader_with(
        this: &Body,
        options: &JsValue,
    ) -> std::result::Result<ReadableStreamDefaultReader, JsValue>;
}

/// What a failed `fetch` (or body read) was. Only the request's own timeout aborts its
/// signal, so an aborted signal is the timeout, whatever the rejection is named: Chromium and
/// Firefox reject with the signal's reason (a "TimeoutError" DOMException), WebKit with an
/// "AbortError" (the signal's reason is still the TimeoutError).
fn failed(signal: &AbortSignal) -> impl Fn(JsValue) -> Error + '_ {
    |_| {
        if signal.aborted() {
            Error::code(Code::Timeout)
        } else {
            Error::code(Code::NetworkError)
        }
    }
}

/// Sends a request. `body`: an `application/x-www-form-urlencoded` POST body, or a GET.
/// `authorization`: the Authorization header (userinfo); `dpop`: a DPoP proof (RFC 9449).
pub(crate) async fn send(
    url: &str,
    body: Option<&str>,
    authorization: Option<&str>,
    dpop: Option<&str>,
    timeout_ms: u32,
) -> Result<Response> {
    let init: RequestInit = super::js_value::dictionary().unchecked_into();
    // A record of header values (Fetch's HeadersInit), prototype-free like every dictionary.
    let headers = super::js_value::dictionary();
    let set = |name: &str, value: &str| {
        let _ = Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    };
    set("accept", "application/json");
    if let Some(value) = authorization {
        set("authorization", value);
    }
    if let Some(proof) = dpop {
        set("dpop", proof);
    }
    if let Some(b) = body {
        init.set_method("POST");
        set("content-type", "application/x-www-form-urlencoded");
        init.set_body(&JsValue::from_str(b));
    }
    init.set_headers(&headers);
    // No cookies to the authorization server's API endpoints: a public client authenticates
    // with the code verifier and refresh token only.
    init.set_credentials(RequestCredentials::Omit);
    // A token endpoint that redirects would have the body re-sent elsewhere (307/308);
    // "manual" turns any redirect into an opaque response with status 0, an error.
    init.set_redirect(RequestRedirect::Manual);
    // No Referer: the page's address may still hold the authorization response while the
    // code is redeemed, and a page may have relaxed its referrer policy (RFC 9700 4.2).
    init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
    let signal = AbortSignal::timeout_with_u32(timeout_ms);
    init.set_signal(Some(&signal));

    let window = web_sys::window().ok_or_else(|| Error::code(Code::NetworkError))?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(failed(&signal))?;
    let response: JsResponse = response.dyn_into().map_err(failed(&signal))?;
    let status = response.status();
    // Status 0 is the opaque response "manual" makes of a redirect (Fetch 4.3).
    if status == 0 {
        return Err(Error::new(
            Code::InvalidResponse,
            t!("The server answered with a redirect; OAuth requests do not follow redirects (RFC 9700 4.12)."),
        ));
    }
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (dpop_nonce, www_authenticate) = (header("dpop-nonce"), header("www-authenticate"));
    let (retry_after, date) = (header("retry-after"), header("date"));
    let body = read_body(&response, status, &signal).await?;
    Ok(Response {
        status,
        body,
        dpop_nonce,
        www_authenticate,
        retry_after,
        date,
    })
}

/// The body as text, read no further than `response::MAX_BODY_BYTES`: a server (or whatever
/// answers in its place) that sends more gets the stream cancelled and the core's answer for
/// an oversized body, before more than the limit is held in memory. A `Content-Length` over
/// the limit is refused before reading anything, so a stalled body is not waited for.
async fn read_body(response: &JsResponse, status: u16, signal: &AbortSignal) -> Result<String> {
    let limit = response::MAX_BODY_BYTES;
    let declared = response.headers().get("content-length").ok().flatten();
    let Some(stream) = response.body() else {
        return Ok(String::new()); // 204, or a HEAD-like empty answer.
    };
    // The options are a prototype-free dictionary: WebKit's getReader is a JS builtin that
    // reads `options.mode` through the prototype chain, and a polluted
    // Object.prototype.mode made it throw (e2e security.test.mjs "M2 prototype pollution…",
    // which never settled in WebKit).
    let reader = stream
        .unchecked_ref::<Body>()
        .get_reader_with(&super::js_value::dictionary())
        .map_err(failed(signal))?;
    let too_large = || {
        let _ = reader.cancel();
        Err(response::oversized(status))
    };
    // Content-Length is 1*DIGIT (RFC 9110 8.6); anything else is ignored here.
    if declared
        .and_then(|n| crate::form::parse_u64(&n))
        .is_some_and(|n| n > limit as u64)
    {
        return too_large();
    }
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(failed(signal))?;
        let member = |name: &str| Reflect::get(&chunk, &JsValue::from_str(name)).ok();
        if member("done").and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let Some(part) = member("value").and_then(|v| v.dyn_into::<Uint8Array>().ok()) else {
            break; // Fetch bodies are bytes; anything else ends the read.
        };
        let start = bytes.len();
        let end = start.saturating_add(part.length() as usize);
        if end > limit {
            return too_large();
        }
        bytes.resize(end, 0);
        if let Some(dest) = bytes.get_mut(start..end) {
            part.copy_to(dest);
        }
    }
    // JSON is UTF-8 (RFC 8259 8.1): a body that is not is no token response, metadata or
    // error object, and reads as empty (then `invalid_response`, or the status's error).
    Ok(String::from_utf8(bytes).unwrap_or_default())
}
