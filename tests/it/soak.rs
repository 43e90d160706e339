//! Load and soak on the photoblog as a real process: 200 connections of mixed reads and
//! writes, the writes with the owner's token (`DRUPE_SOAK_SECS`, default 10;
//! `scripts/reliability.sh` runs 60), then every
//! acknowledged write read back and the memory's growth measured; and SIGTERM with 200
//! requests in flight, each of which completes before the process exits 0.

#![cfg(target_os = "linux")]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};

struct Blog {
    child: std::process::Child,
    base: String,
    addr: SocketAddr,
    dir: std::path::PathBuf,
    /// `Bearer <token>`: the owner's, for the writes.
    auth: String,
}

/// A failed check does not leave the process running.
impl Drop for Blog {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn start_blog(what: &str) -> Blog {
    let bin = crate::process::example_binary("photoblog");
    let dir = crate::blog::temp_dir(what);
    let port = crate::process::free_port();
    let child = std::process::Command::new(bin)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--database"])
        .arg(format!("sqlite:{}", dir.join("pb.db").display()))
        .arg("--data-dir")
        .arg(dir.join("photos"))
        .args(["--admin-password", crate::blog::OWNER_PASSWORD])
        .stdout(std::fs::File::create(dir.join("out.log")).unwrap())
        .stderr(std::fs::File::create(dir.join("err.log")).unwrap())
        .spawn()
        .unwrap();
    crate::process::wait_port(port);
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    Blog {
        child,
        base: format!("http://127.0.0.1:{port}"),
        addr,
        dir,
        auth: owner_token(addr),
    }
}

/// `Bearer <token>`: a token the owner asks for with its password, as a REST client that
/// writes a lot should. A password is checked with argon2 (remembered for a minute only, a
/// second or more a check in a debug build); a token costs a lookup, so the load measures
/// the writes and not the first ones' hashes.
fn owner_token(addr: SocketAddr) -> String {
    let res = crate::process::http(
        addr,
        format!(
            "POST /services/rest/token HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            crate::blog::owner_auth()
        )
        .as_bytes(),
    );
    assert!(res.starts_with("HTTP/1.1 201 "), "{res}");
    let v: Value = serde_json::from_str(res.split_once("\r\n\r\n").unwrap().1).unwrap();
    format!("Bearer {}", v["token"].as_str().unwrap())
}

#[derive(Default)]
struct Tally {
    requests: u64,
    errors: Vec<String>,
    /// Albums this run created, with the title each was last acknowledged with.
    written: Vec<(i64, String)>,
}

#[actix_web::test]
async fn two_hundred_connections_of_mixed_reads_and_writes() {
    let _heavy = crate::heavy().await;
    let secs: u64 = std::env::var("DRUPE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut blog = start_blog("soak");
    let pid = blog.child.id();
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(200))
        .timeout(Duration::from_secs(30))
        .finish();
    let tally = Rc::new(RefCell::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let rss = Rc::new(RefCell::new(Vec::<(f64, u64)>::new()));
    let started = Instant::now();
    let sampler = {
        let rss = rss.clone();
        async move {
            while Instant::now() < deadline {
                rss.borrow_mut()
                    .push((started.elapsed().as_secs_f64(), crate::process::rss_kb(pid)));
                actix_web::rt::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let connection = |task: usize| {
        let (client, tally, base) = (client.clone(), tally.clone(), blog.base.clone());
        let auth = blog.auth.clone();
        async move {
            let mut mine: Option<(i64, String)> = None;
            let mut i = 0usize;
            while Instant::now() < deadline {
                i += 1;
                let op = (task + i) % 10;
                let outcome: Result<(), String> = async {
                    match (op, &mine) {
                        (0, _) => {
                            let title = format!("soak {task}-{i}");
                            let mut r = client
                                .post(format!("{base}/services/rest/album/"))
                                .insert_header(("accept", "application/json"))
                                .insert_header(("authorization", auth.as_str()))
                                .send_json(&json!({"title": title}))
                                .await
                                .map_err(|e| e.to_string())?;
                            if r.status() != 201 {
                                return Err(format!("POST {}", r.status()));
                            }
                            let v: Value = r.json().await.map_err(|e| e.to_string())?;
                            let id = v["id"].as_i64().ok_or("no id")?;
                            tally.borrow_mut().written.push((id, title.clone()));
                            mine = Some((id, title));
                        }
                        (1, Some((id, _))) => {
                            let (id, title) = (*id, format!("soak {task}-{i} renamed"));
                            let r = client
                                .put(format!("{base}/services/rest/album/{id}"))
                                .insert_header(("accept", "application/json"))
                                .insert_header(("authorization", auth.as_str()))
                                .send_json(&json!({"title": title}))
                                .await
                                .map_err(|e| e.to_string())?;
                            if r.status() != 200 {
                                return Err(format!("PUT {}", r.status()));
                            }
                            let mut t = tally.borrow_mut();
                            if let Some(w) = t.written.iter_mut().find(|w| w.0 == id) {
                                w.1 = title.clone();
                            }
                            mine = Some((id, title));
                        }
                        (2, _) => {
                            let mut r = client
                                .get(format!("{base}/"))
                                .send()
                                .await
                                .map_err(|e| e.to_string())?;
                            r.body().limit(1 << 20).await.map_err(|e| e.to_string())?;
                            if r.status() != 200 {
                                return Err(format!("GET / {}", r.status()));
                            }
                        }
                        _ => {
                            let n = 1 + (i % 3);
                            let mut r = client
                                .get(format!("{base}/services/rest/album/{n}"))
                                .insert_header(("accept", "application/json"))
                                .send()
                                .await
                                .map_err(|e| e.to_string())?;
                            r.body().await.map_err(|e| e.to_string())?;
                            if r.status() != 200 {
                                return Err(format!("GET album {}", r.status()));
                            }
                        }
                    }
                    Ok(())
                }
                .await;
                let mut t = tally.borrow_mut();
                t.requests += 1;
                if let Err(e) = outcome {
                    t.errors.push(e);
                }
            }
        }
    };
    let load = join_all((0..200).map(connection));
    futures_util::join!(load, sampler);
    let t = std::mem::take(&mut *tally.borrow_mut());
    let first_errors: Vec<_> = t.errors.iter().take(10).collect();
    // Every acknowledged write is there, as last acknowledged.
    let mut lost = Vec::new();
    for (id, title) in &t.written {
        let mut r = client
            .get(format!("{}/services/rest/album/{id}", blog.base))
            .insert_header(("accept", "application/json"))
            .insert_header(("cache-control", "no-cache"))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if v["title"] != *title {
            lost.push((*id, title.clone(), v["title"].clone()));
        }
    }
    // Memory between the first third and the end.
    let samples = rss.borrow();
    let third = secs as f64 / 3.0;
    let at_third = samples.iter().find(|(t, _)| *t >= third).map_or(0, |s| s.1);
    let at_end = samples.last().map_or(0, |s| s.1);
    let growth = if at_third > 0 {
        (at_end as f64 - at_third as f64) / at_third as f64
    } else {
        f64::NAN
    };
    assert!(crate::process::terminate(&mut blog.child).success());
    crate::reliability::record(
        "soak",
        json!({
            "seconds": secs, "connections": 200, "requests": t.requests,
            "errors": t.errors.len(), "writes_acknowledged": t.written.len(),
            "writes_lost": lost.len(), "rss_kb_at_third": at_third, "rss_kb_at_end": at_end,
            "rss_growth": growth, "first_errors": first_errors,
        }),
    );
    assert!(
        t.errors.is_empty(),
        "{} errors, first: {first_errors:?}",
        t.errors.len()
    );
    assert!(
        t.written.len() > 10,
        "too few writes to judge: {}",
        t.written.len()
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(
        growth < 0.10,
        "RSS grew {:.1}% ({at_third} kB -> {at_end} kB)",
        growth * 100.0
    );
    let _ = std::fs::remove_dir_all(&blog.dir);
}

#[test]
fn sigterm_with_200_requests_in_flight() {
    let _heavy = crate::heavy_blocking();
    let mut blog = start_blog("sigterm");
    let (addr, auth) = (blog.addr, blog.auth.clone());
    let ready = Arc::new(Barrier::new(201));
    let go = Arc::new(Barrier::new(201));
    let clients: Vec<_> = (0..200)
        .map(|i| {
            let (ready, go, auth) = (ready.clone(), go.clone(), auth.clone());
            std::thread::spawn(move || {
                let body = format!("{{\"title\": \"in flight {i}\"}}");
                let head = format!(
                    "POST /services/rest/album/ HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let mut sock = TcpStream::connect(addr).unwrap();
                sock.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                // The head and half the body: the request is in flight, its handler waiting.
                let (first, rest) = body.split_at(body.len() / 2);
                sock.write_all(head.as_bytes()).unwrap();
                sock.write_all(first.as_bytes()).unwrap();
                ready.wait();
                go.wait();
                let _ = sock.write_all(rest.as_bytes());
                let mut out = String::new();
                let _ = sock.read_to_string(&mut out);
                out
            })
        })
        .collect();
    ready.wait();
    // Give the server a moment to have every head, then stop it.
    std::thread::sleep(Duration::from_millis(500));
    crate::process::signal(&blog.child, 15);
    std::thread::sleep(Duration::from_millis(300));
    go.wait();
    let answers: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let status = crate::process::wait_exit(&mut blog.child);
    let completed = answers
        .iter()
        .filter(|a| a.starts_with("HTTP/1.1 201"))
        .count();
    crate::reliability::record(
        "sigterm_in_flight",
        json!({"in_flight": 200, "completed": completed, "exit_code": status.code()}),
    );
    let failed: Vec<_> = answers
        .iter()
        .filter(|a| !a.starts_with("HTTP/1.1 201"))
        .map(|a| a.lines().next().unwrap_or("(no answer)").to_owned())
        .take(5)
        .collect();
    assert_eq!(completed, 200, "some did not complete: {failed:?}");
    assert!(status.success(), "exit status {status}");
    let _ = std::fs::remove_dir_all(&blog.dir);
}
