//! An environment made in code, for `FaceIdBuilder::from_vars`: the tests
//! of configuration never set the process's variables, which every test
//! of this binary shares.

use std::collections::HashMap;

/// The environment `pairs` make.
pub fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}
