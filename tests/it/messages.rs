//! Messages that point at the cause and the knob (issue 30 part 5): an
//! unreachable PostgreSQL or MySQL names its host, port and the bounded
//! wait; one that refuses the database names it, and a `Report` prints PostgreSQL's
//! answer once; a user id's bad character is counted from 1.

use std::time::Duration;

use crate::support;
use tencent_faceid::Report;
use tencent_faceid::UserId;
use tencent_faceid::orders::{PostgresPoolOptions, PostgresStoreError};
use tencent_faceid_mysql::{MySqlStoreError, PoolBounds};

/// A loopback port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Checks that `message` names `port` on loopback, the 300 ms wait and its
/// setting.
fn names_address_and_wait(message: &str, port: u16) {
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("300ms"), "{message}");
    assert!(
        message.contains("FACEID_DATABASE_ACQUIRE_TIMEOUT_MS"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_named_by_host_and_port_with_the_wait() {
    let port = closed_port();
    let options = PostgresPoolOptions::new().acquire_timeout(Duration::from_millis(300));
    let url = format!("postgres://faceid@127.0.0.1:{port}/faceid");
    let error = options.connect(&url).await.unwrap_err();
    assert!(
        matches!(error, PostgresStoreError::Unreachable { .. }),
        "{error:?}"
    );
    names_address_and_wait(&error.to_string(), port);
}

#[tokio::test]
async fn an_unreachable_mysql_is_named_by_host_and_port_with_the_wait() {
    let port = closed_port();
    let bounds = PoolBounds::new().acquire_timeout(Duration::from_millis(300));
    let url = format!("mysql://faceid@127.0.0.1:{port}/faceid");
    let error = bounds.connect(&url).await.unwrap_err();
    assert!(
        matches!(error, MySqlStoreError::Unreachable { .. }),
        "{error:?}"
    );
    names_address_and_wait(&error.to_string(), port);
}

#[tokio::test]
async fn a_missing_mysql_database_is_named_and_its_cause_reported_once() {
    let Some(url) = support::mysql::url() else {
        return;
    };
    let mut missing: url::Url = url.parse().unwrap();
    missing.set_path("/faceid_no_such_database");
    let error = PoolBounds::new()
        .connect(missing.as_str())
        .await
        .unwrap_err();
    assert!(
        matches!(error, MySqlStoreError::ConnectionRefused { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("\"faceid_no_such_database\""), "{message}");
    let report = format!("{:?}", Report::from(error));
    let said = report.matches("faceid_no_such_database").count();
    assert_eq!(
        said, 2,
        "the sentence and MySQL's answer, once each: {report}"
    );
}

#[tokio::test]
async fn a_missing_database_is_named_and_its_cause_reported_once() {
    let Some(url) = support::postgres::url() else {
        return;
    };
    let mut missing: url::Url = url.parse().unwrap();
    missing.set_path("/faceid_no_such_database");
    let error = PostgresPoolOptions::new()
        .connect(missing.as_str())
        .await
        .unwrap_err();
    assert!(
        matches!(error, PostgresStoreError::ConnectionRefused { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("\"faceid_no_such_database\""), "{message}");
    let report = format!("{:?}", Report::from(error));
    if let Some(password) = missing.password() {
        assert!(!report.contains(password), "the URL's password in {report}");
    }
    let said = report.matches("does not exist").count();
    assert_eq!(said, 1, "{report}");
}

#[test]
fn a_bad_character_is_counted_from_1() {
    let error = UserId::new("user-1").unwrap_err();
    assert!(
        error.to_string().contains("character 5 (counting from 1)"),
        "{error}"
    );
}
