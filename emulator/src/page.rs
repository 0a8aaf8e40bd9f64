//! The emulator's H5 pages, made for a phone as the vendor's are: a
//! viewport, one column, buttons a thumb can hit (at least 48 px high).
//! Only our own text and values checked to be letters and digits go in:
//! nothing from the request is reflected.

use tencent_faceid::client::FrontEndCode;

/// Where the H5 page's buttons post.
pub(super) const COMPLETE_PATH: &str = "/api/web/complete";
/// The failure code the H5 page proposes (a raw code, meaning unknown).
const DEFAULT_FAILURE_CODE: &str = "66660004";
/// The prefix of the outcome of a front-end code's button.
pub(super) const FRONT_END_OUTCOME: &str = "front-end-";

const STYLE: &str = "\
:root{color-scheme:light dark;--accent:#0052d9;--bad:#c5221f;--muted:#6b7280;--card:#fff;--bg:#f3f5f9}\
@media (prefers-color-scheme:dark){:root{--card:#1c1f26;--bg:#111318;--muted:#9aa3b2}}\
*{box-sizing:border-box}\
body{margin:0;font:17px/1.5 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;background:var(--bg)}\
main{max-width:28rem;margin:0 auto;padding:1rem}\
.card{background:var(--card);border-radius:1rem;padding:1.25rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
h1{font-size:1.4rem;margin:0 0 .25rem}\
p{margin:.25rem 0 .75rem;overflow-wrap:anywhere}\
.muted{color:var(--muted);font-size:.9rem}\
.face{width:9rem;height:9rem;margin:1rem auto;border-radius:50%;border:4px solid var(--accent);display:grid;place-items:center;font-size:4rem}\
label{display:block;margin:.5rem 0 .25rem;color:var(--muted);font-size:.9rem}\
input{width:100%;min-height:48px;font:inherit;padding:.6rem .8rem;border:1px solid #c7ccd6;border-radius:.6rem;background:transparent;color:inherit}\
button{display:block;width:100%;min-height:52px;margin-top:.75rem;padding:.75rem 1rem;border:0;border-radius:.75rem;font:inherit;font-weight:600;background:var(--accent);color:#fff;text-align:left}\
button#pass{text-align:center;font-size:1.15rem;min-height:56px}\
button#fail{text-align:center;background:var(--bad)}\
details button{background:transparent;color:inherit;border:1px solid #c7ccd6;font-weight:400;font-size:.95rem}\
summary{min-height:48px;display:flex;align-items:center;font-weight:600;cursor:pointer}\
code{overflow-wrap:anywhere}";

/// A whole page titled `title` around `body`.
pub(super) fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\n<body><main>\n{body}</main></body></html>\n"
    )
}

/// The H5 page of a session: pass, fail with a code, or one of the
/// front-end codes. `order_no` and `h5face_id` are letters and digits
/// (checked or generated).
pub(super) fn login(order_no: &str, h5face_id: &str) -> String {
    let front_end: String = FrontEndCode::ALL
        .iter()
        .map(|code| {
            format!(
                "<button id=\"{FRONT_END_OUTCOME}{code}\" type=\"submit\" name=\"outcome\" \
                 value=\"{FRONT_END_OUTCOME}{code}\">{code}: {text}</button>\n",
                code = code.as_str(),
                text = code.description(),
            )
        })
        .collect();
    document(
        "FaceID emulator",
        &format!(
            "<form method=\"post\" action=\"{COMPLETE_PATH}\">\n\
             <input type=\"hidden\" name=\"h5faceId\" value=\"{h5face_id}\">\n\
             <section class=\"card\">\n\
             <h1>Face verification (emulator)</h1>\n\
             <p class=\"muted\">Order <code id=\"order-no\">{order_no}</code></p>\n\
             <div class=\"face\" aria-hidden=\"true\">☺</div>\n\
             <p>No camera here: choose what the face check answers.</p>\n\
             <button id=\"pass\" type=\"submit\" name=\"outcome\" value=\"pass\">pass</button>\n\
             </section>\n<section class=\"card\">\n\
             <label for=\"code\">Error code to fail with</label>\n\
             <input id=\"code\" name=\"code\" value=\"{DEFAULT_FAILURE_CODE}\" inputmode=\"numeric\">\n\
             <button id=\"fail\" type=\"submit\" name=\"outcome\" value=\"fail\">fail</button>\n\
             </section>\n<section class=\"card\">\n\
             <details><summary>The page cannot run</summary>\n{front_end}</details>\n\
             </section>\n</form>\n"
        ),
    )
}

/// An error page: a heading and a message; `id="error-code"` holds the
/// vendor code for tests.
pub(super) fn error(code: &str, msg: &str) -> String {
    document(
        "FaceID emulator: error",
        &format!(
            "<section class=\"card\">\n<h1>Verification cannot continue</h1>\n\
             <p>Error <code id=\"error-code\">{code}</code>: {msg}</p>\n</section>\n"
        ),
    )
}
