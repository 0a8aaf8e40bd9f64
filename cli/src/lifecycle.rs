//! `purge`, `erase-user`, `hold`, `release`: the store's lifecycle
//! ([`Lifecycle`]) from the command line.

use std::time::SystemTime;

use tencent_faceid::UserId;
use tencent_faceid::orders::{Lifecycle, Retention};

use crate::error::CliError;

/// Records of each class removed in one pass at most.
const BATCH: usize = 10_000;

/// Purges what the default retention lets go, pass after pass until a
/// pass leaves nothing more.
pub async fn purge(store: &dyn Lifecycle) -> Result<(), CliError> {
    let retention = Retention::default();
    let mut total = [0u64; 4];
    loop {
        let purged = store.purge(&retention, SystemTime::now(), BATCH).await?;
        for (sum, (_, count)) in total.iter_mut().zip(purged.by_class()) {
            *sum += count;
        }
        if !purged.reached(BATCH) {
            let classes = purged.by_class().map(|(class, _)| class);
            for (class, count) in classes.iter().zip(total) {
                println!("{class}: {count} purged");
            }
            return Ok(());
        }
    }
}

/// `erase-user`, `hold` or `release` for `user`.
pub async fn for_user(store: &dyn Lifecycle, verb: &str, user: &str) -> Result<(), CliError> {
    let user = UserId::new(user).map_err(|error| CliError::Usage(error.to_string()))?;
    match verb {
        "hold" => {
            store.hold(&user).await?;
            println!("user {user} is under a legal hold");
        }
        "release" => {
            store.release(&user).await?;
            println!("user {user}'s legal hold is released");
        }
        _ => {
            let erased = store.erase_user(&user).await?;
            println!(
                "user {user} erased: {} pending order(s) removed, {} consumed order(s) anonymised, {} settlement(s) removed",
                erased.orders, erased.anonymised, erased.settlements
            );
        }
    }
    Ok(())
}
