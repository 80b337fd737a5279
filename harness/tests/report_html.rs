//! The three reports of a hand-built run: report.json against docs/report.schema.json (with
//! the `jsonschema` crate), junit.xml parsed back (quick-junit's reader plus raw counts), and
//! report.html rendered by headless Chromium (`--dump-dom` and a screenshot), so what is
//! checked is what a browser shows, not the string we wrote.

#[path = "support/scratch.rs"]
mod scratch;
use imsec::engine::model::*;
use imsec::engine::report::{write_all, ReportPaths};
use scratch::Scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CK: &str = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
const INJECT: &str = "</pre><script>document.title='PWNED'</script><b id=\"injected\">x</b>";

fn req(spec: &str, clause: &str, text: &str) -> Requirement {
    Requirement {
        spec: spec.into(),
        clause: clause.into(),
        text: Some(text.into()),
    }
}

fn ev(t_ms: u64, from: &str, to: &str, sip: &str, esp: Option<(u32, u32, u8)>) -> TraceEvent {
    TraceEvent {
        t_ms,
        from: from.into(),
        to: to.into(),
        summary: sip.lines().next().unwrap_or("").to_string(),
        sip: Some(sip.replace('\n', "\r\n")),
        esp: esp.map(|(spi, seq, k)| EspMeta {
            spi,
            seq,
            sa_index: Some(k),
        }),
        step: Some(format!("s{t_ms}")),
        frame: Some(t_ms / 10),
    }
}

fn check(name: &str, v: Verdict, summary: &str, events: Vec<usize>, reqs: &[&str]) -> CheckResult {
    CheckResult {
        check: name.into(),
        verdict: v,
        evidence: Evidence {
            summary: summary.into(),
            events,
        },
        requirements: reqs.iter().map(|s| s.to_string()).collect(),
    }
}

fn case(id: &str, area: &str, verdict: Verdict) -> CaseResult {
    CaseResult {
        id: id.into(),
        title: String::new(),
        area: area.into(),
        file: format!("testcases/{area}/{}.yaml", id.to_lowercase()),
        verdict,
        requirements: vec![],
        tags: vec![],
        duration_ms: 0,
        checks: vec![],
        reason: None,
        trace: vec![],
        files: CaseFiles::default(),
    }
}

const REG: &str = "REGISTER sip:ims.example.net SIP/2.0\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n\
From: <sip:alice@ims.example.net>;tag=1\n\
To: <sip:alice@ims.example.net>\n\
Security-Client: ipsec-3gpp; alg=hmac-sha-1-96; spi-c=40961; spi-s=40962; port-c=5062; port-s=5064\n\
Require: sec-agree\nContent-Length: 0\n";

fn fail_case() -> CaseResult {
    let mut c = case("SEC-AGREE-BIDDOWN-01", "sec-agree", Verdict::Fail);
    c.title = "Modified Security-Verify is rejected".into();
    c.requirements = vec![
        req(
            "TS 33.203",
            "7.2",
            "The P-CSCF compares the Security-Verify of the protected REGISTER with the \
             Security-Server it sent and rejects the request when they differ.",
        ),
        req(
            "RFC 3329",
            "2.3.1",
            "Security-Verify must echo the server's list.",
        ),
    ];
    c.tags = vec!["bid-down".into()];
    c.duration_ms = 412;
    let c401 = format!(
        "SIP/2.0 401 Unauthorized\nWWW-Authenticate: Digest realm=\"ims.example.net\", \
         nonce=\"3sPY2vrJ7X8=\", algorithm=AKAv1-MD5, ck=\"{CK}\", ik=\"<redacted>\"\nContent-Length: 0\n"
    );
    let reg2 = "REGISTER sip:ims.example.net SIP/2.0\n\
        Security-Verify: ipsec-3gpp; alg=hmac-md5-96; spi-c=50001; spi-s=50002\n"
        .to_string()
        + "X-Probe: "
        + INJECT
        + "\nContent-Length: 0\n";
    c.trace = vec![
        ev(0, "UE", "P-CSCF", REG, None),
        ev(3, "P-CSCF", "S-CSCF", REG, None),
        ev(9, "S-CSCF", "P-CSCF", &c401, None),
        ev(
            12,
            "P-CSCF",
            "UE",
            "SIP/2.0 401 Unauthorized\nSecurity-Server: ipsec-3gpp; alg=hmac-sha-1-96; spi-c=50001; spi-s=50002\n",
            None,
        ),
        ev(40, "UE", "P-CSCF", &reg2, Some((0xa001, 1, 1))),
        ev(44, "P-CSCF", "S-CSCF", &reg2, None),
        ev(51, "S-CSCF", "P-CSCF", "SIP/2.0 200 OK\nContent-Length: 0\n", None),
        ev(
            53,
            "P-CSCF",
            "UE",
            "SIP/2.0 200 OK\nContent-Length: 0\n",
            Some((0xc352, 1, 3)),
        ),
    ];
    c.checks = vec![
        check(
            "modified-verify-rejected",
            Verdict::Fail,
            "P-CSCF forwarded the REGISTER whose Security-Verify (hmac-md5-96) differs from its \
             Security-Server (hmac-sha-1-96) and relayed 200 OK",
            vec![4, 5, 7],
            &["TS 33.203 §7.2", "RFC 3329 §2.3.1"],
        ),
        check(
            "ck-ik-stripped",
            Verdict::Pass,
            "401 to the UE carried no ck/ik",
            vec![3],
            &["TS 33.203 §7.4"],
        ),
    ];
    c.reason = Some("modified-verify-rejected: P-CSCF accepted a modified Security-Verify".into());
    c.files = CaseFiles {
        pcapng: Some("SEC-AGREE-BIDDOWN-01/trace.pcapng".into()),
        esp_sa: Some("SEC-AGREE-BIDDOWN-01/esp_sa".into()),
        tls_keylog: None,
    };
    c
}

fn sample() -> RunReport {
    let mut pass = case("SEC-AGREE-BASIC-01", "sec-agree", Verdict::Pass);
    pass.title = "Registration sets up four ESP SAs".into();
    pass.requirements = vec![req("TS 33.203", "7.1", "Two pairs of SAs are set up.")];
    pass.duration_ms = 230;
    pass.trace = vec![
        ev(0, "UE", "P-CSCF", REG, None),
        ev(30, "UE", "P-CSCF", REG, Some((0xa001, 1, 1))),
    ];
    pass.checks = vec![check(
        "four-sas",
        Verdict::Pass,
        "protected REGISTER on SA #1",
        vec![1],
        &["TS 33.203 §7.1"],
    )];

    let mut na = case("MEDIA-SDES-01", "media", Verdict::NotApplicable);
    na.title = "SDES keys are not forwarded in clear".into();
    na.requirements = vec![req("TS 33.328", "6.2", "SDES only over protected links.")];
    na.reason = Some("SUT profile declares no media security".into());

    let mut err = case("ESP-REPLAY-01", "esp", Verdict::Error);
    err.title = "Replayed ESP packet is dropped".into();
    err.requirements = vec![req("TS 33.203", "7.1", "Anti-replay is on.")];
    err.duration_ms = 5;
    err.reason = Some("harness: could not bind 127.0.0.1:5062 (address in use)".into());

    let mut inc = case("ESP-WINDOW-02", "esp", Verdict::Inconclusive);
    inc.title = "Old packets left of the window are dropped".into();
    inc.reason = Some("registration step failed before the ESP phase".into());
    inc.duration_ms = 1500;

    RunReport {
        schema: SCHEMA_VERSION.into(),
        tool: "imsec".into(),
        version: "0.1.0".into(),
        started: "2025-06-01T09:30:00Z".into(),
        duration_ms: 2147,
        sut: SutSummary {
            name: "builtin:accept-modified-verify".into(),
            topology: "pcscf".into(),
            profile: serde_json::json!({"algorithms": ["hmac-sha-1-96"], "k": "<redacted>"}),
        },
        keys_revealed: false,
        cases: vec![pass, fail_case(), na, err, inc],
    }
}

fn temp_dir(name: &str) -> Scratch {
    Scratch::new(&format!("report-{name}"))
}

fn written(name: &str) -> (Scratch, ReportPaths) {
    let d = temp_dir(name);
    let p = write_all(&sample(), &d.join("run")).unwrap();
    (d, p)
}

#[test]
fn no_report_contains_the_ck() {
    let (d, p) = written("ck");
    for f in [&p.junit, &p.json, &p.html] {
        let t = std::fs::read_to_string(f).unwrap();
        assert!(!t.contains(CK), "{} leaks CK", f.display());
        assert!(t.contains("<redacted>") || t.contains("&lt;redacted&gt;") || f == &p.junit);
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn json_validates_against_schema() {
    let (d, p) = written("json");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
    jsonschema::meta::validate(&schema).expect("schema is a valid draft 2020-12 schema");
    let v = jsonschema::draft202012::new(&schema).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p.json).unwrap()).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["schema"], SCHEMA_VERSION);
    assert_eq!(doc["cases"][1]["verdict"], "fail");
    assert_eq!(doc["cases"][1]["trace"][4]["esp"]["spi"], 0xa001);

    // The schema can say no: each of these edits must be rejected.
    type Edit = fn(&mut serde_json::Value);
    let bad: [(&str, Edit); 5] = [
        ("missing verdict", |d| {
            d["cases"][0].as_object_mut().unwrap().remove("verdict");
        }),
        ("unknown verdict", |d| {
            d["cases"][0]["verdict"] = "passed".into()
        }),
        ("unknown field", |d| d["cases"][0]["extra"] = 1.into()),
        ("sa_index 5", |d| {
            d["cases"][1]["trace"][4]["esp"]["sa_index"] = 5.into()
        }),
        ("schema 2.0", |d| d["schema"] = "2.0".into()),
    ];
    for (what, edit) in bad {
        let mut d = doc.clone();
        edit(&mut d);
        assert!(!v.is_valid(&d), "schema accepted: {what}");
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn junit_counts_and_properties() {
    let (d, p) = written("junit");
    let xml = std::fs::read_to_string(&p.junit).unwrap();
    // Raw element counts (independent of quick-junit's reader).
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 5);
    assert_eq!(xml.matches("<failure").count(), 1);
    assert_eq!(xml.matches("<error").count(), 1);
    assert_eq!(xml.matches("<skipped").count(), 2);
    assert!(!xml.contains(INJECT), "SIP text is not in JUnit");

    let r = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!((r.tests, r.failures, r.errors), (5, 1, 1));
    let suites: Vec<&str> = r.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, ["esp", "media", "sec-agree"]);
    let sa = &r.test_suites[2];
    assert_eq!((sa.tests, sa.failures, sa.errors), (2, 1, 0));
    let fail = sa
        .test_cases
        .iter()
        .find(|t| t.name.as_str() == "SEC-AGREE-BIDDOWN-01")
        .unwrap();
    assert_eq!(fail.classname.as_ref().unwrap().as_str(), "sec-agree");
    assert_eq!(fail.time, Some(Duration::from_millis(412)));
    let reqs: Vec<&str> = fail
        .properties
        .iter()
        .filter(|p| p.name.as_str() == "requirement")
        .map(|p| p.value.as_str())
        .collect();
    assert_eq!(reqs, ["TS 33.203 §7.2", "RFC 3329 §2.3.1"]);
    match &fail.status {
        quick_junit::TestCaseStatus::NonSuccess {
            kind,
            message,
            description,
            ..
        } => {
            assert_eq!(*kind, quick_junit::NonSuccessKind::Failure);
            assert_eq!(
                message.as_ref().unwrap().as_str(),
                "modified-verify-rejected: P-CSCF accepted a modified Security-Verify"
            );
            let text = description.as_ref().unwrap().as_str();
            assert!(text.contains("Security-Verify (hmac-md5-96)"), "{text}");
            assert!(text.contains("msg 5 UE -> P-CSCF"), "{text}");
            assert!(text.contains("ESP SPI 0x0000a001 seq 1 SA #1"), "{text}");
            assert!(text.contains("[pass] ck-ik-stripped"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let esp = &r.test_suites[0];
    let skipped: Vec<String> = esp
        .test_cases
        .iter()
        .chain(&r.test_suites[1].test_cases)
        .filter_map(|t| match &t.status {
            quick_junit::TestCaseStatus::Skipped { message, .. } => {
                Some(message.as_ref().unwrap().as_str().to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        [
            "inconclusive: registration step failed before the ESP phase",
            "not-applicable: SUT profile declares no media security"
        ]
    );
    let error = esp
        .test_cases
        .iter()
        .find(|t| t.name.as_str() == "ESP-REPLAY-01")
        .unwrap();
    assert!(matches!(
        error.status,
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Error,
            ..
        }
    ));
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn html_is_self_contained_and_escaped() {
    let (d, p) = written("html-raw");
    let html = std::fs::read_to_string(&p.html).unwrap();
    let no_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for external in [
        "<link", " src=", "http://", "https://", "@import", "url(http",
    ] {
        assert!(!no_ns.contains(external), "external reference {external}");
    }
    assert!(!html.contains(INJECT));
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;document.title=&#39;PWNED&#39;"));
    assert_eq!(html.matches("<script>").count(), 1);
    std::fs::remove_dir_all(d).unwrap();
}

/// Runs chromium headless with a deadline; returns stdout.
fn chromium(args: &[String], dir: &Path) -> Option<String> {
    let profile = dir.join(format!("profile-{}", args.len()));
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().ok()?;
    let mut out = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().ok()?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().ok()?.ok()
}

/// Text of the element right after `marker` (`…marker…>TEXT<`).
fn text_after<'a>(dom: &'a str, marker: &str) -> &'a str {
    let at = dom.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &dom[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    &rest[start..end]
}

#[test]
fn html_renders_in_chromium() {
    if Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        println!("SKIPPED: chromium not installed (.ci/install-deps.sh installs it)");
        return;
    }
    let (d, p) = written("html");
    let url = format!("file://{}", p.html.display());
    let dom = chromium(&["--dump-dom".to_string(), url.clone()], &d).expect("chromium ran");
    assert!(dom.contains("<svg"), "no DOM dumped: {dom:.300}");

    for id in [
        "SEC-AGREE-BASIC-01",
        "SEC-AGREE-BIDDOWN-01",
        "MEDIA-SDES-01",
        "ESP-REPLAY-01",
        "ESP-WINDOW-02",
    ] {
        assert!(
            dom.contains(&format!("<span class=\"case-id\">{id}</span>")),
            "{id}"
        );
    }
    for v in ["pass", "fail", "not-applicable", "error", "inconclusive"] {
        assert!(
            dom.contains(&format!("data-verdict=\"{v}\">{v}</span>")),
            "{v}"
        );
    }
    // Totals: 5 cases, one of each verdict.
    assert_eq!(text_after(&dom, "data-total=\"all\""), "5");
    for v in ["pass", "fail", "inconclusive", "not-applicable", "error"] {
        assert_eq!(text_after(&dom, &format!("data-total=\"{v}\"")), "1", "{v}");
    }
    // By area: sec-agree has 2 cases, 1 pass 1 fail.
    let area = &dom[dom.find("data-area=\"sec-agree\"").unwrap()..];
    assert_eq!(text_after(area, "class=\"n\""), "2");
    assert_eq!(text_after(area, "data-count=\"fail\""), "1");
    // Requirement table and texts.
    assert!(dom.contains("<td class=\"ref\">TS 33.203 §7.2</td>"));
    assert!(dom.contains("compares the Security-Verify of the protected REGISTER"));
    assert!(dom.contains("SUT profile declares no media security"));

    // The failing case's ladder: arrows with summaries, ESP labels, highlighted evidence.
    let sec = &dom[dom.find("id=\"c2-SEC-AGREE-BIDDOWN-01\"").unwrap()..];
    let svg = &sec[sec.find("<svg").unwrap()..sec.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<g class=\"msg").count(), 8);
    assert_eq!(svg.matches("<g class=\"msg evidence\"").count(), 3);
    assert!(svg.contains(">REGISTER sip:ims.example.net SIP/2.0</text>"));
    assert!(svg.contains(">SIP/2.0 401 Unauthorized</text>"));
    assert!(svg.contains(">ESP SPI 0x0000a001 seq 1 SA #1</text>"));
    assert!(svg.contains(">ESP SPI 0x0000c352 seq 1 SA #3</text>"));
    for lane in ["UE", "P-CSCF", "S-CSCF"] {
        assert!(svg.contains(&format!("text-anchor=\"middle\">{lane}</text>")));
    }
    // SIP blocks and file links.
    assert!(
        sec.contains("<details id=\"c2-SEC-AGREE-BIDDOWN-01-m5\" class=\"evidence\" open=\"\">")
    );
    assert!(sec.contains("href=\"SEC-AGREE-BIDDOWN-01/trace.pcapng\""));

    // Escaping: the injected markup stayed text.
    assert!(!dom.contains("<b id=\"injected\">"));
    assert!(dom.contains("&lt;b id=\"injected\"&gt;x&lt;/b&gt;"));
    assert!(!dom.contains("<title>PWNED"));
    assert_eq!(dom.matches("<script>").count(), 1);
    // The only script ran (its buttons exist) and did nothing else.
    assert!(dom.contains(">Expand all</button>"));

    let shot_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_html");
    std::fs::create_dir_all(&shot_dir).unwrap();
    // Kept next to the screenshot for a person to look at.
    std::fs::copy(&p.html, shot_dir.join("report.html")).unwrap();
    let png = shot_dir.join("report.png");
    let _ = std::fs::remove_file(&png);
    chromium(
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".to_string(),
            "--hide-scrollbars".to_string(),
            url,
        ],
        &d,
    )
    .expect("chromium ran");
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000);
    println!("screenshot: {}", png.display());
    std::fs::remove_dir_all(d).unwrap();
}
