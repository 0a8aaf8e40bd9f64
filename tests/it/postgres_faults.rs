//! `PostgresOrderStore` when the database misbehaves, through a
//! fault-injecting proxy (`faceid_test_support::proxy`) between the crate
//! and the tests' PostgreSQL: a reply lost after the consume committed, a
//! database refusing connections, a slow network, every pooled connection
//! cut. Each time the database is checked afterwards: nothing is lost,
//! nothing is consumed twice, no order is burnt for nobody.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::support;
use crate::support::postgres::Schema;
use faceid_test_support::callbacks::{APP_ID, TICKET};
use faceid_test_support::proxy::Proxy;
use tencent_faceid::callback::BindingHash;
use tencent_faceid::callback::BodyFormat;
use tencent_faceid::callback::{BrowserCallback, CallbackVerifier, RejectionKind};
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::orders::{OrderStore, PendingOrder, PostgresOrderStore, PostgresPoolOptions};
use tencent_faceid::settle::{Delivery, Settlement, Settler};
use tencent_faceid::sign::sign;
use tencent_faceid::tickets::StaticTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};

const TTL: Duration = Duration::from_secs(1800);
/// The store's bound in these tests (the default is 5 s).
const BOUND: Duration = Duration::from_secs(2);
/// The browser binding cookie of the browser that started the sessions.
const COOKIE: &str = "the starting browser's cookie";
/// A hang guard, never a timing assertion: every call here must answer
/// within the store's bound; this only turns a hang into a failure.
const HANG: Duration = Duration::from_secs(60);

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

/// A store behind the proxy, a settling verifier on it, and the
/// settlements its hook received.
struct Rig {
    schema: Schema,
    proxy: Proxy,
    store: PostgresOrderStore,
    verifier: CallbackVerifier,
    delivered: Arc<Mutex<Vec<Settlement>>>,
    binding: bool,
}

impl Rig {
    async fn new(binding: bool) -> Option<Rig> {
        let url = support::postgres::url()?;
        let schema = Schema::new().await?;
        let (proxy, proxied) = Proxy::to_postgres(url).await;
        // One connection: a statement prepared once is sent again as one
        // batch (bind, execute), as on a busy server's warm connections.
        let pool = PostgresPoolOptions::new()
            .max_connections(1)
            .connect(&proxied)
            .await
            .unwrap();
        let store = PostgresOrderStore::builder(pool, APP_ID)
            .schema(&schema.name)
            .timeout(BOUND)
            .build()
            .await
            .unwrap();
        let client = FaceIdClient::builder(APP_ID, "secret").build().unwrap();
        let wiring = Wiring::new(client, StaticTickets::new(TICKET, "n"), store.clone())
            .browser_binding(binding);
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let hook = Arc::clone(&delivered);
        let settler = Settler::builder(&wiring)
            .on_settled(move |settlement: Settlement| {
                let hook = Arc::clone(&hook);
                async move {
                    hook.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(settlement);
                    Ok::<(), std::convert::Infallible>(())
                }
            })
            .build();
        let verifier = CallbackVerifier::settling(&settler)
            .record_judge(false)
            .build()
            .unwrap();
        Some(Rig {
            schema,
            proxy,
            store,
            verifier,
            delivered,
            binding,
        })
    }

    /// A pending order (bound to [`COOKIE`] with binding on) and its
    /// genuine passing callback.
    async fn order(&self, n: u32) -> (OrderNo, String) {
        let order_no = OrderNo::new(format!("fault{n}")).unwrap();
        let mut order = PendingOrder::new(order_no.clone(), UserId::new("user1").unwrap());
        if self.binding {
            order = order.bound_to(BindingHash::of(COOKIE));
        }
        self.store.put(order, TTL).await.unwrap();
        let signature = sign(&[APP_ID, order_no.as_str(), "0"], TICKET);
        let query = format!("code=0&orderNo={order_no}&h5faceId=f1&newSignature={signature}");
        (order_no, query)
    }

    async fn verify(
        &self,
        query: &str,
    ) -> Result<tencent_faceid::VerificationOutcome, tencent_faceid::CallbackRejection> {
        let binding = self.binding.then_some(COOKIE);
        let verify = self.verifier.verify(BrowserCallback::new(query, binding));
        tokio::time::timeout(HANG, verify)
            .await
            .expect("answered, not hung")
    }

    /// The order's state in the database (read past the proxy) and how
    /// many settlements the log holds for it, delivered or not.
    async fn in_database(&self, order_no: &OrderNo) -> (String, i64, i64) {
        let state: String = sqlx::query_scalar(&format!(
            "SELECT state FROM \"{}\".orders WHERE app_id = $1 AND order_no = $2",
            self.schema.name
        ))
        .bind(APP_ID)
        .bind(order_no.as_str())
        .fetch_one(&self.schema.pool)
        .await
        .unwrap();
        let (logged, delivered): (i64, i64) = sqlx::query_as(&format!(
            "SELECT count(*), count(delivered_at) FROM \"{}\".settlements \
             WHERE app_id = $1 AND order_no = $2",
            self.schema.name
        ))
        .bind(APP_ID)
        .bind(order_no.as_str())
        .fetch_one(&self.schema.pool)
        .await
        .unwrap();
        (state, logged, delivered)
    }

    fn delivered(&self) -> usize {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

async fn a_lost_reply_is_asked_again_with_the_same_claim(binding: bool) {
    let Some(rig) = Rig::new(binding).await else {
        return;
    };
    let (order_no, query) = rig.order(1).await;
    rig.proxy.lose_next_reply();
    let outcome = rig
        .verify(&query)
        .await
        .expect("accepted on the second ask");
    assert!(
        !rig.proxy.reply_loss_pending(),
        "the consume's reply was lost"
    );
    assert!(outcome.passed() && !outcome.repeated);
    // Delivered at once, not after the reconciler's grace.
    assert_eq!(outcome.delivery, Some(Delivery::Delivered));
    assert_eq!(rig.delivered(), 1);
    assert_eq!(
        rig.in_database(&order_no).await,
        ("consumed".to_owned(), 1, 1),
        "consumed once, logged once, delivered"
    );
    // The same callback again: a reload by its browser, or a replay.
    let again = rig.verify(&query).await;
    if binding {
        assert!(again.expect("its own browser").repeated);
    } else {
        assert_eq!(again.unwrap_err().kind(), &RejectionKind::Replay);
    }
    assert_eq!(rig.delivered(), 1, "settled once");
    rig.schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_lost_after_the_consume_committed_burns_nothing_with_binding() {
    a_lost_reply_is_asked_again_with_the_same_claim(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_lost_after_the_consume_committed_burns_nothing_without_binding() {
    a_lost_reply_is_asked_again_with_the_same_claim(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_refusing_connections_is_a_bounded_503_and_the_order_stays_pending() {
    let Some(rig) = Rig::new(true).await else {
        return;
    };
    let (order_no, query) = rig.order(2).await;
    rig.proxy.refuse(true);
    rig.proxy.cut_all();
    let rejection = rig.verify(&query).await.unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::StoreUnavailable);
    let answer = rejection.to_response(BodyFormat::Text);
    assert_eq!((answer.status, answer.retry_after), (503, Some(5)));
    let cause = std::error::Error::source(&rejection).map(ToString::to_string);
    assert!(
        cause
            .as_deref()
            .is_some_and(|cause| cause.contains("within 2s")),
        "{cause:?}"
    );
    assert_eq!(
        rig.in_database(&order_no).await,
        ("pending".to_owned(), 0, 0)
    );
    rig.proxy.refuse(false);
    let outcome = rig.verify(&query).await.expect("accepted once it answers");
    assert!(outcome.passed());
    assert_eq!(rig.delivered(), 1);
    rig.schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_network_is_a_bounded_503_and_a_late_consume_changes_nothing() {
    let Some(rig) = Rig::new(false).await else {
        return;
    };
    // A first callback prepares the consume on the connection: the next
    // one goes as a single batch, which PostgreSQL runs when it arrives.
    let (_, warm) = rig.order(30).await;
    rig.verify(&warm).await.unwrap();
    let (order_no, query) = rig.order(3).await;
    let completed = rig.proxy.completed();
    // Longer than the store's bound.
    rig.proxy.hold_statements(BOUND * 2);
    let rejection = rig.verify(&query).await.unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::StoreUnavailable);
    assert_eq!(rejection.to_response(BodyFormat::Text).retry_after, Some(5));
    rig.proxy.hold_statements(Duration::ZERO);
    // The delayed consume reaches PostgreSQL after the caller stopped
    // waiting for it: once PostgreSQL completed it, the order is still
    // pending.
    tokio::time::timeout(HANG, rig.proxy.wait_completed(completed + 1))
        .await
        .expect("the delayed consume was answered");
    assert_eq!(
        rig.in_database(&order_no).await,
        ("pending".to_owned(), 0, 0)
    );
    let outcome = rig.verify(&query).await.expect("accepted once it is fast");
    assert!(outcome.passed());
    assert_eq!(
        rig.in_database(&order_no).await,
        ("consumed".to_owned(), 1, 1)
    );
    rig.schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_connection_cut_the_next_callback_is_accepted() {
    let Some(rig) = Rig::new(true).await else {
        return;
    };
    let (order_no, query) = rig.order(4).await;
    rig.proxy.cut_all();
    let outcome = rig
        .verify(&query)
        .await
        .expect("accepted on a new connection");
    assert!(outcome.passed());
    assert_eq!(outcome.delivery, Some(Delivery::Delivered));
    assert_eq!(
        rig.in_database(&order_no).await,
        ("consumed".to_owned(), 1, 1)
    );
    rig.schema.drop().await;
}
