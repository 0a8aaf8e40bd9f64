//! [`SuiteOutcome`]: what a contract suite checked and what it skipped.

/// What a contract suite checked, and what it skipped because the backend
/// does not support it. A suite that returns passed every check it ran.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() {
/// use tencent_faceid::contract;
/// use tencent_faceid::orders::MemoryOrderStore;
///
/// let outcome = contract::settlement_store(async || MemoryOrderStore::new()).await;
/// assert!(outcome.checked.contains(&"due index"), "{outcome:?}");
/// assert!(outcome.skipped.is_empty(), "{outcome:?}");
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SuiteOutcome {
    /// The parts of the contract checked, in the order they ran.
    pub checked: Vec<&'static str>,
    /// The parts skipped, each with why.
    pub skipped: Vec<String>,
}

impl SuiteOutcome {
    pub(super) fn checked(&mut self, part: &'static str) {
        self.checked.push(part);
    }

    pub(super) fn skipped(&mut self, part: &str, why: &str) {
        tracing::warn!(part, why, "contract part skipped");
        self.skipped.push(format!("{part}: {why}"));
    }
}
