//! The data lifecycle of [`MemoryOrderStore`]: its settlements live with
//! their orders (there is no separate log), so they go when the order
//! shrinks to a tombstone.

use std::time::SystemTime;

use async_trait::async_trait;

use super::entry::{InlineId, State};
use super::{Inner, MemoryOrderStore};
use crate::ids::UserId;
use crate::orders::lifecycle::{Cutoffs, log_erasure};
use crate::orders::{Erased, Lifecycle, Purged, Retention, StoreError};

/// What the purge does with one entry.
enum Fate {
    Keep,
    Shrink,
    Remove { settled: bool },
}

impl Inner {
    /// Anonymises the consumed order of `key` (see
    /// [`Entry::anonymise`](super::entry::Entry::anonymise))
    /// and takes it out of the due index; answers whether a settlement
    /// was dropped.
    fn anonymise(&mut self, key: &InlineId) -> bool {
        let Some(entry) = self.entries.get_mut(key) else {
            return false;
        };
        let due = entry.due.take();
        let dropped = entry.anonymise();
        if let Some(due) = due {
            self.due.remove(&(due, *key));
        }
        dropped
    }

    /// What a purge with `cutoffs` does with the entry of `key`.
    fn fate(&self, key: &InlineId, cutoffs: &Cutoffs) -> Fate {
        let Some(entry) = self.entries.get(key) else {
            return Fate::Keep;
        };
        if self.holds.contains(&entry.user_id) {
            return Fate::Keep;
        }
        match &entry.state {
            State::Pending => match cutoffs.unsettled_orders {
                Some(cap) if entry.created_at < cap => Fate::Remove { settled: false },
                _ => Fate::Keep,
            },
            // Its settlement is undelivered: the reconciler still needs it.
            State::Consumed {
                settlement: Some(_),
                ..
            } if entry.due.is_some() => Fate::Keep,
            State::Consumed { at, .. } if *at < cutoffs.tombstones => {
                Fate::Remove { settled: true }
            }
            State::Consumed { at, attempt, .. }
                if *at < cutoffs.settled_orders && attempt.is_some() =>
            {
                Fate::Shrink
            }
            State::Consumed { .. } => Fate::Keep,
        }
    }
}

#[async_trait]
impl Lifecycle for MemoryOrderStore {
    async fn purge(
        &self,
        retention: &Retention,
        now: SystemTime,
        limit: usize,
    ) -> Result<Purged, StoreError> {
        let cutoffs = retention.cutoffs(now);
        let mut inner = self.lock();
        let keys: Vec<InlineId> = inner.entries.keys().copied().collect();
        let mut purged = Purged::default();
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        for key in keys {
            match inner.fate(&key, &cutoffs) {
                Fate::Keep => {}
                Fate::Shrink if purged.settled_orders < limit => {
                    inner.anonymise(&key);
                    purged.settled_orders += 1;
                }
                Fate::Remove { settled: true } if purged.tombstones < limit => {
                    inner.remove(&key);
                    purged.tombstones += 1;
                }
                Fate::Remove { settled: false } if purged.unsettled_orders < limit => {
                    inner.remove(&key);
                    purged.unsettled_orders += 1;
                }
                _ => {}
            }
        }
        Ok(purged)
    }

    async fn erase_user(&self, user_id: &UserId) -> Result<Erased, StoreError> {
        let user = InlineId::new(user_id.as_str());
        let mut inner = self.lock();
        if inner.holds.contains(&user) {
            return Err(StoreError::Held);
        }
        let keys: Vec<InlineId> = inner
            .entries
            .iter()
            .filter(|(_, entry)| entry.user_id == user)
            .map(|(key, _)| *key)
            .collect();
        let mut erased = Erased::default();
        for key in keys {
            let pending = inner
                .entries
                .get(&key)
                .is_some_and(|entry| matches!(entry.state, State::Pending));
            if pending {
                inner.remove(&key);
                erased.orders += 1;
                continue;
            }
            erased.settlements += u64::from(inner.anonymise(&key));
            erased.anonymised += 1;
        }
        drop(inner);
        log_erasure(&erased);
        Ok(erased)
    }

    async fn hold(&self, user_id: &UserId) -> Result<(), StoreError> {
        self.lock().holds.insert(InlineId::new(user_id.as_str()));
        Ok(())
    }

    async fn release(&self, user_id: &UserId) -> Result<(), StoreError> {
        self.lock().holds.remove(&InlineId::new(user_id.as_str()));
        Ok(())
    }
}
