//! The WeChat edition in verification: the BizToken that comes back (the
//! browser's redirect, `?BizToken=`, or a mini program's post) carries no
//! signature, so the verdict is always the vendor's record,
//! `GetDetectInfoEnhanced`, pulled after the order (an unknown BizToken
//! costs no vendor call) and its browser are checked.

use std::borrow::Cow;
use std::sync::Arc;

use super::rejection::reject;
use super::submission::{Proof, Submission};
use super::{CallbackRejection, CallbackVerifier, Malformed, RejectionKind};
use crate::orders::Lookup;
use crate::result_code::ResultCode;
use crate::tc3::{ApiErrorCode, Tc3Error};

/// The redirect's parameter.
const BIZ_TOKEN: &str = "BizToken";

/// The `BizToken` of a WeChat redirect's query (present exactly once, not
/// empty); `None` when the query has none, or is too long (then read as
/// any callback, which refuses it).
pub(super) fn redirect_token(query: &str, max_len: usize) -> Option<Result<String, Malformed>> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > max_len || !query.contains(BIZ_TOKEN) {
        return None;
    }
    let mut tokens = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == BIZ_TOKEN)
        .map(|(_, value)| value);
    let first: Cow<'_, str> = tokens.next()?;
    Some(match tokens.next() {
        Some(_) => Err(Malformed::Duplicate(BIZ_TOKEN)),
        None if first.is_empty() => Err(Malformed::Empty(BIZ_TOKEN)),
        None => Ok(first.into_owned()),
    })
}

impl CallbackVerifier {
    /// The order first: unknown or expired is refused at once, a pending
    /// one only from its own browser (the binding recorded with it, none
    /// for a mini program's); then the vendor's verdict for a pending
    /// order. A consumed order goes straight to its consume, which tells a
    /// replay from its own browser coming back.
    pub(super) async fn look_into_wechat(
        &self,
        callback: &mut Submission,
    ) -> Result<(), CallbackRejection> {
        let order_no = || Some(callback.order_no.clone());
        let found = self.inner.wiring.store().lookup(&callback.order_no).await;
        match found {
            Ok(Lookup::Pending { binding }) => {
                let claimed = callback.claim.binding();
                if binding.is_some() && claimed.is_none() {
                    return Err(reject(RejectionKind::NoBindingCookie, order_no(), None));
                }
                if binding.as_ref() != claimed && binding.is_some() {
                    return Err(reject(RejectionKind::OtherBrowser, order_no(), None));
                }
                self.pull_verdict(callback).await
            }
            Ok(Lookup::Consumed) => Ok(()),
            Ok(Lookup::Expired) => Err(reject(RejectionKind::Expired, order_no(), None)),
            Ok(_) => Err(reject(RejectionKind::UnknownOrder, order_no(), None)),
            Err(e) => {
                let kind = RejectionKind::StoreUnavailable;
                Err(reject(kind, order_no(), Some(Arc::new(e))))
            }
        }
    }

    /// A WeChat session's own browser came back after its order was
    /// consumed: its verdict, pulled again, to show.
    pub(super) async fn repeated_wechat(
        &self,
        callback: &mut Submission,
    ) -> Result<(), CallbackRejection> {
        match callback.proof {
            Proof::BizToken(_) if callback.detect_info.is_none() => {
                self.pull_verdict(callback).await
            }
            _ => Ok(()),
        }
    }

    /// `GetDetectInfoEnhanced` (text only) for the callback's BizToken:
    /// its `ErrCode` becomes the callback's code (and the settlement's),
    /// the record is kept for the outcome.
    async fn pull_verdict(&self, callback: &mut Submission) -> Result<(), CallbackRejection> {
        let order_no = || Some(callback.order_no.clone());
        let Proof::BizToken(biz_token) = &callback.proof else {
            return Ok(());
        };
        let Some(tc3) = self.inner.wiring.tc3() else {
            let missing = Tc3Error::Config(
                "no API 3.0 client for the WeChat edition: give one with Wiring::wechat".into(),
            );
            let kind = RejectionKind::VendorUnavailable;
            return Err(reject(kind, order_no(), Some(Arc::new(missing))));
        };
        let info = match tc3.detect_info(biz_token).await {
            Ok(info) => info,
            Err(Tc3Error::Api {
                code: ApiErrorCode::BizTokenExpired,
                ..
            }) => return Err(reject(RejectionKind::Expired, order_no(), None)),
            Err(e) => {
                let kind = RejectionKind::VendorUnavailable;
                return Err(reject(kind, order_no(), Some(Arc::new(e))));
            }
        };
        let Some(err_code) = info.err_code() else {
            return Err(reject(RejectionKind::NotFinished, order_no(), None));
        };
        callback.code = ResultCode::from_code(&err_code.to_string());
        callback.detect_info = Some(Box::new(info));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_redirect_token_once() {
        let token = "3C5D3A49-0D34-4E4B-9B73-1B2D3E4F5A6B";
        let read = |query: &str| redirect_token(query, 2048);
        assert_eq!(
            read(&format!("?BizToken={token}&Extra=u1")),
            Some(Ok(token.to_owned()))
        );
        assert!(read("code=0&orderNo=o1").is_none());
        assert_eq!(
            read("BizToken=a&BizToken=b"),
            Some(Err(Malformed::Duplicate(BIZ_TOKEN)))
        );
        assert_eq!(read("BizToken="), Some(Err(Malformed::Empty(BIZ_TOKEN))));
        assert!(redirect_token("BizToken=a", 4).is_none(), "too long");
    }
}
