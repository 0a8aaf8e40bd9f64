//! The demos' pages: mobile-first HTML (the H5 flow runs on phones) with
//! the flow's three steps, the same in both demos. Every link and form
//! action is below the site's public base path, so a `DEMO_PUBLIC_URL`
//! with a path prefix keeps it.

use base64::Engine as _;
use tencent_faceid::callback::VerificationOutcome;
use tencent_faceid::client::Evidence;
use tencent_faceid::client::ResultCode;

/// Where the site lives: its public base path (`/` or `/prefix/`).
#[derive(Clone, Debug)]
pub struct Site {
    base: String,
}

impl Site {
    /// The site whose pages are below `base_path` (ending in `/`).
    pub fn new(base_path: &str) -> Self {
        Self {
            base: base_path.to_owned(),
        }
    }

    /// The public path of `path` (relative to the site).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --accent: #0052d9; --ok: #0a7d32; --bad: #c5221f; --muted: #6b7280; --card: #ffffff; --bg: #f3f5f9; }
@media (prefers-color-scheme: dark) { :root { --card: #1c1f26; --bg: #111318; --muted: #9aa3b2; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: var(--bg); }
main { max-width: 28rem; margin: 0 auto; padding: 1rem; }
header { display: flex; align-items: center; gap: .5rem; margin: .5rem 0 1rem; font-weight: 600; }
header .logo { width: 2rem; height: 2rem; border-radius: 50%; background: var(--accent); color: #fff; display: grid; place-items: center; }
ol.steps { list-style: none; display: flex; gap: .25rem; padding: 0; margin: 0 0 1rem; font-size: .8rem; color: var(--muted); }
ol.steps li { flex: 1; text-align: center; padding: .4rem .2rem; border-bottom: 3px solid #d0d5dd; }
ol.steps li.done { border-color: var(--ok); color: var(--ok); }
ol.steps li.now { border-color: var(--accent); color: var(--accent); font-weight: 600; }
.card { background: var(--card); border-radius: 1rem; padding: 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h1.ok { color: var(--ok); } h1.bad { color: var(--bad); }
label { display: block; margin: .75rem 0 .25rem; font-size: .9rem; color: var(--muted); }
input { width: 100%; font: inherit; padding: .7rem .8rem; border: 1px solid #c7ccd6; border-radius: .6rem; background: transparent; color: inherit; }
button, a.button { display: block; width: 100%; margin-top: 1.25rem; padding: .85rem; border: 0; border-radius: .6rem; background: var(--accent); color: #fff; font: inherit; font-weight: 600; text-align: center; text-decoration: none; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .35rem 1rem; margin: 1rem 0 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
code { font-size: .9em; }
figure.evidence { margin: 1rem 0 0; text-align: center; font-size: .85rem; color: var(--muted); }
figure.evidence img { display: block; width: 8rem; margin: 0 auto .35rem; border-radius: .6rem; }
.note { font-size: .85rem; color: var(--muted); margin-top: 1rem; }
.links a { display: inline-flex; align-items: center; justify-content: center; min-height: 48px; min-width: 48px; margin-right: 1rem; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .5rem .3rem; border-bottom: 1px solid #e3e6ec; }
th:first-child { width: 46%; }
td code { word-break: break-all; font-size: .8rem; }
td.passed { color: var(--ok); } td.failed, td.abandoned { color: var(--bad); }
"#;

/// The three steps of the flow, `current` (1-3) highlighted.
fn steps(current: u8) -> String {
    let names = ["Your details", "Face check", "Result"];
    let items: String = names
        .iter()
        .zip(1u8..)
        .map(|(name, step)| {
            let class = match step.cmp(&current) {
                std::cmp::Ordering::Less => " class=done",
                std::cmp::Ordering::Equal => " class=now",
                std::cmp::Ordering::Greater => "",
            };
            format!("<li{class}>{step}. {name}</li>")
        })
        .collect();
    format!("<ol class=steps>{items}</ol>")
}

/// A whole page at step `step` around `body`.
pub fn page(step: u8, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>FaceID demo</title><style>{STYLE}</style>\
         <main><header><span class=logo>☺</span>Face verification demo</header>{}\
         <section class=card>{body}</section></main></html>",
        steps(step)
    )
}

/// The start form.
pub fn index(site: &Site, framework: &str) -> String {
    page(
        1,
        &format!(
            r#"<h1>Verify your identity</h1>
<p>We compare your face with the photo on record for this name and id number ({framework}).</p>
<form method=post action="{action}">
  <label for=name>Name</label><input id=name name=name value="张三" autocomplete=name>
  <label for=id_number>Id number</label><input id=id_number name=id_number value="110101199003071234" inputmode=numeric>
  <label for=edition>Edition</label><select id=edition name=edition><option value=basic selected>basic H5</option><option value=enhanced>enhanced H5</option><option value=wechat>WeChat H5</option></select>
  <button id=start type=submit>Verify my face</button>
</form>
<p class=note>Test data only. Without FACEID_APP_ID this demo uses the embedded emulator, whose page lets you choose the result. The App SDK edition: <code>POST /sdk/start</code> and <code>POST /sdk/result</code>; a WeChat mini program posts its BizToken to <code>POST /wechat/result</code> (see the README).</p>"#,
            action = site.link("start"),
        ),
    )
}

/// The outcome of a verified callback: the result, the code and its
/// meaning, the vendor record's rates when confirmed, and the evidence
/// photo when fetched.
pub fn outcome(site: &Site, outcome: &VerificationOutcome, photo: Option<&Evidence>) -> String {
    let (class, title) = if outcome.passed() {
        ("ok", "Verified")
    } else {
        ("bad", "Not verified")
    };
    let mut rows = vec![
        (
            "Order",
            format!("<code>{}</code>", escape(outcome.order_no.as_str())),
        ),
        (
            "Result code",
            format!("<code id=code>{}</code>", escape(outcome.code.as_str())),
        ),
        ("Meaning", escape(&meaning(&outcome.code))),
    ];
    if let Some(record) = &outcome.record {
        let rate = |value: &Option<String>| escape(value.as_deref().unwrap_or("n/a"));
        rows.push(("Live rate", rate(&record.live_rate)));
        rows.push(("Similarity", rate(&record.similarity)));
        rows.push(("Source", "the vendor's confirmed record".to_owned()));
    }
    if outcome.awaits_delivery() {
        rows.push((
            "Recorded",
            "not yet: your result is being saved and shows in your account in a few minutes"
                .to_owned(),
        ));
    }
    let rows: String = rows
        .iter()
        .map(|(name, value)| format!("<dt>{name}</dt><dd>{value}</dd>"))
        .collect();
    let photo = photo.map_or_else(String::new, |photo| {
        // A photo the browser cannot decode is hidden with its caption.
        format!(
            "<figure class=evidence id=evidence><img alt=\"The photo taken during the face check\" \
             onerror=\"this.parentElement.hidden=true\" src=\"data:{};base64,{}\">\
             <figcaption>Taken during the face check (the vendor's record)</figcaption></figure>",
            image_type(photo.expose()),
            base64::engine::general_purpose::STANDARD.encode(photo.expose()),
        )
    });
    let repeated = if outcome.repeated {
        "<p class=note id=repeated>Shown again for this browser: the result was recorded once, when it first arrived.</p>"
    } else {
        ""
    };
    let retry = if outcome.passed() {
        format!(r#"<a class=button href="{}">Start over</a>"#, site.link(""))
    } else {
        format!(r#"<a class=button href="{}">Try again</a>"#, site.link(""))
    };
    page(
        3,
        &format!(
            "<h1 id=outcome class={class}>{title}</h1>{photo}<dl>{rows}</dl>{repeated}{retry}"
        ),
    )
}

/// A callback that was not accepted (a replay, another browser, a forged
/// or expired one), or a session that could not start.
pub fn problem(site: &Site, step: u8, title: &str, message: &str) -> String {
    page(
        step,
        &format!(
            r#"<h1 id=problem class=bad>{}</h1><p>{}</p><a class=button href="{}">Start again</a>"#,
            escape(title),
            escape(message),
            site.link("")
        ),
    )
}

/// What a result code means, and for a front-end code what to do.
fn meaning(code: &ResultCode) -> String {
    match (code, code.description()) {
        (ResultCode::Success, _) => "the face matches; verification passed".to_owned(),
        (ResultCode::FrontEnd(front_end), Some(text)) => {
            format!("{text}; advice: {}", front_end.advice())
        }
        (_, Some(text)) => text.to_owned(),
        (_, None) => "a failure code without a published meaning".to_owned(),
    }
}

fn image_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
