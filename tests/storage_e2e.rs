//! The storage layer's conditional writes against a real S3-protocol server: what lets two ingest
//! runs on one key record their versions without overwriting each other's.

use segflow_e2e::*;
use segflow_storage::ObjectStore;

async fn compare_and_swap(server: &S3Server) {
    let store = server.store();
    let key = "state/ingest/sources/a.json";
    assert_eq!(store.get_tagged(key).await.unwrap(), None);
    let t1 = store
        .put_if(key, b"one".to_vec(), None)
        .await
        .unwrap()
        .expect("created where there was nothing");
    // Created meanwhile by someone else: a second create fails, and writes nothing.
    assert_eq!(store.put_if(key, b"again".to_vec(), None).await.unwrap(), None);
    let (bytes, tag) = store.get_tagged(key).await.unwrap().unwrap();
    assert_eq!((bytes.as_slice(), tag.as_str()), (&b"one"[..], t1.as_str()));
    let t2 = store
        .put_if(key, b"two".to_vec(), Some(&t1))
        .await
        .unwrap()
        .expect("replaced what was read");
    assert_ne!(t1, t2);
    // A writer still holding the first tag lost the race.
    assert_eq!(
        store.put_if(key, b"stale".to_vec(), Some(&t1)).await.unwrap(),
        None
    );
    assert_eq!(server.get(key).await, b"two");
    assert_eq!(store.get_tagged(key).await.unwrap().unwrap().1, t2);
    // Replacing an object that is not there fails too.
    assert_eq!(
        store
            .put_if("state/none.json", b"x".to_vec(), Some(&t2))
            .await
            .unwrap(),
        None
    );
    assert!(server.keys("state/none").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_writes_replace_only_what_was_read() {
    compare_and_swap(&S3Server::start().await).await;
}

/// Where S3 answers a read of a missing key with 403 (our roles), it is missing all the same.
#[tokio::test(flavor = "multi_thread")]
async fn conditional_writes_under_least_privilege_roles() {
    compare_and_swap(&S3Server::start_like_aws().await).await;
}
