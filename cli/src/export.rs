//! `settlements`: the settlement log between two times, as CSV or JSON,
//! for audits.

use std::collections::HashSet;
use std::io::Write;
use std::time::SystemTime;

use tencent_faceid::orders::LoggedSettlement;

use crate::error::CliError;
use crate::store::Store;
use crate::time;

/// Entries read per query; the export pages on by time.
const PAGE: usize = 1_000;

/// How the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

/// What `faceid settlements` was asked for.
#[derive(Debug)]
pub struct Export {
    since: SystemTime,
    until: SystemTime,
    format: Format,
}

impl Export {
    /// Reads `--since TIME [--until TIME] [--format csv|json]`.
    pub fn parse(options: &[&str]) -> Result<Self, CliError> {
        let mut since = None;
        let mut until = None;
        let mut format = Format::Csv;
        let mut options = options.iter();
        while let Some(option) = options.next() {
            let value = options.next().ok_or_else(|| {
                CliError::Usage(format!("`{option}` of `faceid settlements` needs a value"))
            })?;
            let at = || {
                time::parse(value).ok_or_else(|| {
                    CliError::Usage(format!(
                        "`{option} {value}` is not a time: write 2026-12-01 or 2026-12-01T08:00:00Z (UTC)"
                    ))
                })
            };
            match *option {
                "--since" => since = Some(at()?),
                "--until" => until = Some(at()?),
                "--format" => {
                    format = match *value {
                        "csv" => Format::Csv,
                        "json" => Format::Json,
                        _ => {
                            return Err(CliError::Usage(format!(
                                "`--format {value}` is not a format: write csv or json"
                            )));
                        }
                    }
                }
                _ => {
                    return Err(CliError::Usage(format!(
                        "`{option}` is not an option of `faceid settlements`"
                    )));
                }
            }
        }
        let since = since
            .ok_or_else(|| CliError::Usage("`faceid settlements` needs --since TIME".to_owned()))?;
        Ok(Self {
            since,
            until: until.unwrap_or_else(SystemTime::now),
            format,
        })
    }

    /// Writes the settlements of `store` settled from `since` to before
    /// `until`, oldest first, to stdout.
    pub async fn run(&self, store: &Store) -> Result<(), CliError> {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut written = 0usize;
        match self.format {
            Format::Csv => writeln!(
                out,
                "order_no,user_id,state,code,settled_by,settled_at,delivered_at,idempotency_key"
            )?,
            Format::Json => write!(out, "[")?,
        }
        let mut from = self.since;
        // The entries already written that were settled at `from`: the
        // next page starts there again.
        let mut seen_at_from = HashSet::new();
        loop {
            let page = store.settlements(from, self.until, PAGE).await?;
            let full = page.len() == PAGE;
            let fresh: Vec<&LoggedSettlement> = page
                .iter()
                .filter(|entry| {
                    entry.record.settled_at != from
                        || !seen_at_from.contains(entry.order_no.as_str())
                })
                .collect();
            for entry in &fresh {
                self.write(&mut out, entry, written)?;
                written += 1;
            }
            let Some(last) = page.last() else { break };
            if !full {
                break;
            }
            if fresh.is_empty() {
                return Err(CliError::Usage(format!(
                    "more than {PAGE} settlements were made in the millisecond {}; export that millisecond with SQL",
                    time::format(from)
                )));
            }
            if last.record.settled_at != from {
                seen_at_from.clear();
                from = last.record.settled_at;
            }
            let at_from = page.iter().filter(|entry| entry.record.settled_at == from);
            seen_at_from.extend(at_from.map(|entry| entry.order_no.as_str().to_owned()));
        }
        if self.format == Format::Json {
            writeln!(out, "{}]", if written == 0 { "" } else { "\n" })?;
        }
        out.flush()?;
        Ok(())
    }

    /// Writes one entry, the `index`th.
    fn write(
        &self,
        out: &mut impl Write,
        entry: &LoggedSettlement,
        index: usize,
    ) -> std::io::Result<()> {
        let state = entry.record.state.as_str();
        let code = entry.record.state.code().map_or("", |code| code.as_str());
        let settled_by = entry.record.settled_by.as_str();
        let settled_at = time::format(entry.record.settled_at);
        let delivered_at = entry.delivered_at.map(time::format);
        match self.format {
            Format::Csv => {
                let fields = [
                    entry.order_no.as_str(),
                    entry.user_id.as_str(),
                    state,
                    code,
                    settled_by,
                    &settled_at,
                    delivered_at.as_deref().unwrap_or(""),
                    &entry.idempotency_key,
                ];
                let fields: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
                writeln!(out, "{}", fields.join(","))
            }
            Format::Json => {
                let object = serde_json::json!({
                    "order_no": entry.order_no.as_str(),
                    "user_id": entry.user_id.as_str(),
                    "state": state,
                    "code": entry.record.state.code().map(|code| code.as_str()),
                    "settled_by": settled_by,
                    "settled_at": settled_at,
                    "delivered_at": delivered_at,
                    "idempotency_key": entry.idempotency_key,
                });
                let separator = if index == 0 { "\n  " } else { ",\n  " };
                write!(out, "{separator}{object}")
            }
        }
    }
}

/// `field` as a CSV field: quoted when it holds a comma, quote or line
/// break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
