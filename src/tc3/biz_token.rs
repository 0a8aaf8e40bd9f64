//! A BizToken as an order number, and back.
//!
//! The vendor's BizTokens are 36 characters, hexadecimal in five groups
//! joined by dashes (8-4-4-4-12, as in every documented example: the
//! format itself is *inferred*, the vendor's DetectAuth documentation does not define it). An
//! [`OrderNo`] is at most 32 letters and digits, so the order of a
//! WeChat session is its BizToken without the dashes (the 32 hex digits,
//! case kept), and the BizToken is those digits with the dashes put back
//! where every example has them. The mapping is one to one: no lookup
//! table, and every store keys WeChat orders as it keys the others.

use std::time::Duration;

use crate::ids::OrderNo;

/// How long a BizToken can be verified after `DetectAuth` issued it:
/// 7,200 s (documented). The [reconciler](crate::settle::Reconciler) calls
/// a WeChat order with no verdict by then abandoned.
pub const BIZ_TOKEN_LIFETIME: Duration = Duration::from_secs(7_200);

/// Where the dashes are in a BizToken.
const DASHES: [usize; 4] = [8, 13, 18, 23];
/// A BizToken's length, dashes included.
const LEN: usize = 36;

/// A string that is not a BizToken (36 characters: hex digits in groups of
/// 8-4-4-4-12 joined by dashes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a BizToken: give the 36 characters DetectAuth answered (hex digits in groups of 8-4-4-4-12 joined by dashes)"
)]
pub struct InvalidBizToken;

/// The order number of the WeChat session `biz_token`: its hex digits,
/// without the dashes.
///
/// ```
/// use tencent_faceid::wechat::{biz_token_of, order_no_of};
/// let order_no = order_no_of("3C5D3A49-0D34-4E4B-9B73-1B2D3E4F5A6B")?;
/// assert_eq!(order_no.as_str(), "3C5D3A490D344E4B9B731B2D3E4F5A6B");
/// assert_eq!(biz_token_of(&order_no).as_deref(), Some("3C5D3A49-0D34-4E4B-9B73-1B2D3E4F5A6B"));
/// assert!(order_no_of("3C5D3A490D344E4B9B731B2D3E4F5A6B").is_err());
/// # Ok::<(), tencent_faceid::wechat::InvalidBizToken>(())
/// ```
///
/// # Errors
/// [`InvalidBizToken`] when `biz_token` is not of the vendor's form.
pub fn order_no_of(biz_token: &str) -> Result<OrderNo, InvalidBizToken> {
    let well_formed = biz_token.len() == LEN
        && biz_token.char_indices().all(|(at, c)| {
            if DASHES.contains(&at) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if !well_formed {
        return Err(InvalidBizToken);
    }
    OrderNo::new(biz_token.replace('-', "")).map_err(|_| InvalidBizToken)
}

/// The BizToken of a WeChat session's order number ([`order_no_of`]
/// reversed); `None` when `order_no` cannot be one (not 32 hex digits).
pub fn biz_token_of(order_no: &OrderNo) -> Option<String> {
    let digits = order_no.as_str();
    if digits.len() != LEN - DASHES.len() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut token = String::with_capacity(LEN);
    for (at, c) in digits.chars().enumerate() {
        if matches!(at, 8 | 12 | 16 | 20) {
            token.push('-');
        }
        token.push(c);
    }
    Some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_forms() {
        let token = "a1b2c3d4-0000-4e4b-9B73-1b2d3e4f5a6b";
        let order_no = order_no_of(token).unwrap();
        assert_eq!(biz_token_of(&order_no).unwrap(), token);
        for bad in [
            "",
            "a1b2c3d40000-4e4b-9B73-1b2d3e4f5a6b-",
            "g1b2c3d4-0000-4e4b-9B73-1b2d3e4f5a6b",
            "a1b2c3d4-0000-4e4b-9B73-1b2d3e4f5a6bc",
        ] {
            assert_eq!(order_no_of(bad), Err(InvalidBizToken), "{bad}");
        }
        assert_eq!(biz_token_of(&OrderNo::new("fid123").unwrap()), None);
    }
}
