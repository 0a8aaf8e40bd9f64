//! Explains a signature, for debugging a mismatch with the vendor's.
//!
//! ```text
//! cargo run --example sign -- appId001 test1480921551481 0 --ticket <SIGN ticket>
//! ```
//!
//! Prints the values in the vendor's order, the concatenation that is
//! hashed (the ticket shown as `<ticket>`), and the signature. Compare them
//! with what the vendor signed: a missing, extra or differently spelled
//! value is the usual cause of a mismatch.

use std::process::ExitCode;

use tencent_faceid::sign::explain;

const USAGE: &str = "usage: sign VALUE... --ticket TICKET";

fn main() -> ExitCode {
    let mut values = Vec::new();
    let mut ticket = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ticket" => match args.next() {
                Some(value) => ticket = Some(value),
                None => return usage_error("--ticket needs a value"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => values.push(arg),
        }
    }
    let Some(ticket) = ticket else {
        return usage_error("the SIGN (or NONCE) ticket is missing: pass it with --ticket");
    };
    if values.is_empty() {
        return usage_error("no values to sign: pass the parameter values before --ticket");
    }
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    println!("{}", explain(&refs, &ticket));
    ExitCode::SUCCESS
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n{USAGE}");
    ExitCode::from(2)
}
