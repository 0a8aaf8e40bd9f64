//! A fault-injecting TCP proxy on loopback between the crate and
//! PostgreSQL, that reads the PostgreSQL wire protocol just enough to count
//! statements and to lose one reply on purpose.
//!
//! - [`Proxy::statements`]: how many statements (extended-protocol
//!   `Execute` and simple `Query` messages) clients sent through it: the
//!   store's round trips, counted where the database sees them.
//! - [`Proxy::lose_next_reply`]: forwards the next statement to PostgreSQL,
//!   swallows PostgreSQL's whole reply (so the statement ran and, outside
//!   a transaction, committed), then cuts that connection: a reply lost
//!   after the commit.
//! - [`Proxy::refuse`]: new connections are closed at once (the database
//!   refusing them); [`Proxy::hold_statements`]: every statement waits
//!   before it goes on (a stalled network that delivers it late);
//!   [`Proxy::cut_all`]: every open connection is cut (a database restart,
//!   a failover, an idle-timeout of a firewall).
//!
//! A client's `SSLRequest` is answered `N` by the proxy itself, so that the
//! traffic it reads stays plain whatever the client's `sslmode` prefers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// The codes of an `SSLRequest` and a `GSSENCRequest`.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// A running proxy; it stops (and cuts its connections) when dropped.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    accepting: AbortHandle,
}

struct Shared {
    statements: AtomicUsize,
    /// How many statements PostgreSQL completed (`CommandComplete`),
    /// their replies forwarded or swallowed by the proxy.
    completed: watch::Sender<usize>,

    refuse: AtomicBool,
    lose_next: AtomicBool,
    delay: Mutex<Duration>,
    connections: Mutex<Vec<AbortHandle>>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            statements: AtomicUsize::new(0),
            completed: watch::Sender::new(0),
            refuse: AtomicBool::new(false),
            lose_next: AtomicBool::new(false),
            delay: Mutex::new(Duration::ZERO),
            connections: Mutex::new(Vec::new()),
        }
    }
}

impl Shared {
    fn delay(&self) -> Duration {
        *self.delay.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Proxy {
    /// A proxy on a free loopback port to the server at `upstream`
    /// (`host:port`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared::default());
        let accepting = {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    if shared.refuse.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let connection =
                        tokio::spawn(serve(client, upstream.clone(), Arc::clone(&shared)));
                    let mut connections = shared
                        .connections
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    connections.retain(|c| !c.is_finished());
                    connections.push(connection.abort_handle());
                }
            })
            .abort_handle()
        };
        Proxy {
            port,
            shared,
            accepting,
        }
    }

    /// A proxy to the PostgreSQL of `url`, and `url` through the proxy.
    pub async fn to_postgres(url: &str) -> (Proxy, String) {
        let mut parsed = url::Url::parse(url).expect("a PostgreSQL URL");
        let upstream = format!(
            "{}:{}",
            parsed.host_str().unwrap_or("127.0.0.1"),
            parsed.port().unwrap_or(5432)
        );
        let proxy = Proxy::start(upstream).await;
        parsed.set_host(Some("127.0.0.1")).expect("a host");
        parsed.set_port(Some(proxy.port)).expect("a port");
        (proxy, parsed.to_string())
    }

    /// The proxy's loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Statements clients sent through the proxy so far.
    pub fn statements(&self) -> usize {
        self.shared.statements.load(Ordering::SeqCst)
    }

    /// How many statements PostgreSQL has completed (`CommandComplete`)
    /// for clients of the proxy, whether the client got the reply or not.
    pub fn completed(&self) -> usize {
        *self.shared.completed.borrow()
    }

    /// Waits until PostgreSQL has completed `count` statements: they have
    /// run (and, outside a transaction, committed).
    pub async fn wait_completed(&self, count: usize) {
        let mut completed = self.shared.completed.subscribe();
        let _ = completed.wait_for(|completed| *completed >= count).await;
    }

    /// Forwards the next statement, swallows its reply and cuts its
    /// connection.
    pub fn lose_next_reply(&self) {
        self.shared.lose_next.store(true, Ordering::SeqCst);
    }

    /// Whether an armed [`lose_next_reply`](Self::lose_next_reply) is still
    /// waiting for its statement.
    pub fn reply_loss_pending(&self) -> bool {
        self.shared.lose_next.load(Ordering::SeqCst)
    }

    /// Closes new connections at once while `refuse` holds.
    pub fn refuse(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Holds every statement for `delay` before forwarding it
    /// (`Duration::ZERO`: none); what else the client sends (sqlx's
    /// `Sync` check of a connection on its release) and every reply go on
    /// at once.
    pub fn hold_statements(&self, delay: Duration) {
        *self
            .shared
            .delay
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = delay;
    }

    /// Cuts every open connection.
    pub fn cut_all(&self) {
        let connections = std::mem::take(
            &mut *self
                .shared
                .connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for connection in connections {
            connection.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut_all();
    }
}

/// Relays one client connection until either side closes (or the proxy
/// cuts it).
async fn serve(client: TcpStream, upstream: String, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (client_read, mut client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let swallowing = Arc::new(AtomicBool::new(false));
    let Some((client_read, server_write)) =
        startup(client_read, &mut client_write, server_write).await
    else {
        return;
    };
    tokio::select! {
        _ = upward(client_read, server_write, &shared, &swallowing) => {}
        _ = downward(server_read, client_write, &shared, &swallowing) => {}
    }
}

/// Relays the client's untyped startup: an `SSLRequest` (or
/// `GSSENCRequest`) is refused by the proxy (`N`), the `StartupMessage`
/// goes up.
async fn startup(
    mut client: OwnedReadHalf,
    client_write: &mut OwnedWriteHalf,
    mut server: OwnedWriteHalf,
) -> Option<(OwnedReadHalf, OwnedWriteHalf)> {
    loop {
        let length = client.read_u32().await.ok()?;
        let mut body = vec![0; usize::try_from(length).ok()?.checked_sub(4)?];
        client.read_exact(&mut body).await.ok()?;
        let code = body
            .get(..4)
            .map(|code| u32::from_be_bytes([code[0], code[1], code[2], code[3]]));
        if matches!(code, Some(SSL_REQUEST | GSSENC_REQUEST)) {
            client_write.write_all(b"N").await.ok()?;
            continue;
        }
        server.write_all(&length.to_be_bytes()).await.ok()?;
        server.write_all(&body).await.ok()?;
        return Some((client, server));
    }
}

/// The complete typed messages at the start of `buffer`: their tags, and
/// how many bytes they take.
fn messages(buffer: &[u8]) -> (Vec<u8>, usize) {
    let mut tags = Vec::new();
    let mut at = 0;
    while let Some(header) = buffer.get(at..at + 5) {
        let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if buffer.len() < at + 1 + length {
            break;
        }
        tags.push(header[0]);
        at += 1 + length;
    }
    (tags, at)
}

/// Client to server: whole messages, counting statements; a statement sent
/// while a reply loss is armed makes its reply swallowed. When the client
/// closes, what it sent still reaches the server, which then sees the
/// close after it (as over a real network) and ends the connection.
async fn upward(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: &Shared,
    swallowing: &AtomicBool,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0; 8192];
    loop {
        let read = from.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            let _ = to.shutdown().await;
            return std::future::pending().await;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let (tags, complete) = messages(&buffer);
        let statements = tags.iter().filter(|tag| matches!(tag, b'E' | b'Q')).count();
        shared.statements.fetch_add(statements, Ordering::SeqCst);
        if statements > 0 && shared.lose_next.swap(false, Ordering::SeqCst) {
            swallowing.store(true, Ordering::SeqCst);
        }
        let delay = shared.delay();
        if statements > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if to.write_all(&buffer[..complete]).await.is_err() {
            return;
        }
        buffer.drain(..complete);
    }
}

/// Server to client: whole messages; while swallowing, nothing reaches
/// the client, and the connection ends after the reply's `ReadyForQuery`.
async fn downward(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: &Shared,
    swallowing: &AtomicBool,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0; 8192];
    loop {
        let Ok(read) = from.read(&mut chunk).await else {
            return;
        };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let (tags, complete) = messages(&buffer);
        let completed = tags.iter().filter(|tag| **tag == b'C').count();
        shared.completed.send_modify(|count| *count += completed);
        if swallowing.load(Ordering::SeqCst) {
            if tags.contains(&b'Z') {
                // The statement ran and its transaction ended: cut.
                return;
            }
            buffer.drain(..complete);
            continue;
        }
        if to.write_all(&buffer[..complete]).await.is_err() {
            return;
        }
        buffer.drain(..complete);
    }
}
