//! The fuzzer: many seeds of the tutorial topology under random faults
//! (crashes, restarts, partitions, pauses), then heal and check that the
//! cluster converges: one master that every sentinel names, every other server
//! replicating it. Acknowledged writes lost on failover are counted (Redis's
//! replication is asynchronous, so some loss is allowed and reported).
//!
//! `SIM_FUZZ_SEEDS=N` runs more seeds; `SIM_SEED=n` replays one, and with
//! `SIM_DUMP=1` prints its whole trace.

use sentinel_lab::resp::Frame;
use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, Tutorial, EPOCH};
use sentinel_lab::sim::Sim;

fn master_addr_of(sim: &mut Sim, sentinel: usize) -> Option<String> {
    match sim.command(
        sentinel,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        2000,
    )? {
        Frame::Array(a) if a.len() == 2 => Some(format!("{}:{}", a[0].as_str()?, a[1].as_str()?)),
        _ => None,
    }
}

fn role(sim: &mut Sim, host: usize) -> Option<(String, Option<String>, Option<String>)> {
    match sim.command(host, &["ROLE"], 2000)? {
        Frame::Array(a) if a.first().and_then(|r| r.as_str()) == Some("slave") => Some((
            "slave".into(),
            Some(format!("{}:{}", a[1].as_str()?, a[2].as_int()?)),
            a[3].as_str().map(|s| s.to_string()),
        )),
        Frame::Array(a) => Some((a[0].as_str()?.to_string(), None, None)),
        _ => None,
    }
}

struct Outcome {
    acked: usize,
    lost: usize,
}

fn run_seed(seed: u64) -> Result<Outcome, String> {
    let mut sim = Sim::new(seed, EPOCH);
    let settings = SentinelSettings {
        down_after_ms: 2000,
        failover_timeout_ms: 6000,
        ..Default::default()
    };
    let t: Tutorial = tutorial(&mut sim, &settings);
    let servers: Vec<usize> = std::iter::once(t.master)
        .chain(t.replicas.iter().copied())
        .collect();
    let all: Vec<usize> = servers.iter().chain(t.sentinels.iter()).copied().collect();
    sim.run_for(15_000);
    let mut acked: Vec<String> = Vec::new();
    let mut down: Vec<usize> = Vec::new();
    for step in 0..30 {
        // A write to whoever is master now, as a client would after asking a sentinel.
        let s = t.sentinels[step % 3];
        if let Some(addr) = master_addr_of(&mut sim, s) {
            if let Some(h) = servers
                .iter()
                .copied()
                .find(|h| sim.hosts[*h].addr.to_string() == addr)
            {
                let key = format!("k{step}");
                if sim.command(h, &["SET", &key, "v"], 500) == Some(Frame::Simple("OK".into())) {
                    acked.push(key);
                }
            }
        }
        match sim.rng.below(8) {
            0 => {
                let h = servers[sim.rng.below(3) as usize];
                sim.crash(h);
                down.push(h);
            }
            1 => {
                if let Some(h) = down.pop() {
                    sim.restart(h);
                }
            }
            2 => {
                let a = all[sim.rng.below(all.len() as u64) as usize];
                let b = all[sim.rng.below(all.len() as u64) as usize];
                if a != b {
                    sim.partition(a, b);
                }
            }
            3 => sim.heal(),
            4 => {
                let h = all[sim.rng.below(all.len() as u64) as usize];
                let ms = 500 + sim.rng.below(4000);
                sim.pause(h, ms);
            }
            5 => {
                let h = t.sentinels[sim.rng.below(3) as usize];
                sim.crash(h);
                let ms = 1_000 + sim.rng.below(5_000);
                sim.run_for(ms);
                sim.restart(h);
            }
            _ => {}
        }
        let ms = 500 + sim.rng.below(5_000);
        sim.run_for(ms);
    }
    // Heal everything and let the cluster settle.
    sim.heal();
    for h in down.drain(..) {
        sim.restart(h);
    }
    sim.run_for(90_000);
    if std::env::var("SIM_DUMP").is_ok() {
        println!("{}", sim.trace.render());
    }
    let addrs: Vec<Option<String>> = t
        .sentinels
        .iter()
        .map(|s| master_addr_of(&mut sim, *s))
        .collect();
    let first = addrs[0].clone().ok_or("sentinel 1 names no master")?;
    if addrs.iter().any(|a| a.as_deref() != Some(&first)) {
        return Err(format!("sentinels disagree on the master: {addrs:?}"));
    }
    let master = servers
        .iter()
        .copied()
        .find(|h| sim.hosts[*h].addr.to_string() == first)
        .ok_or("the named master is not a server")?;
    let mut roles = Vec::new();
    for h in &servers {
        roles.push((sim.hosts[*h].name.clone(), role(&mut sim, *h)));
    }
    for (i, h) in servers.iter().enumerate() {
        let r = roles[i]
            .1
            .clone()
            .ok_or(format!("{} does not answer", roles[i].0))?;
        if *h == master {
            if r.0 != "master" {
                return Err(format!(
                    "the sentinels' master {first} is a {}: {roles:?}",
                    r.0
                ));
            }
        } else if r.1.as_deref() != Some(&first) || r.2.as_deref() != Some("connected") {
            return Err(format!(
                "{} does not replicate {first}: {roles:?}",
                roles[i].0
            ));
        }
    }
    let mut lost = 0;
    for k in &acked {
        if sim.command(master, &["EXISTS", k], 2000) != Some(Frame::Integer(1)) {
            lost += 1;
        }
    }
    Ok(Outcome {
        acked: acked.len(),
        lost,
    })
}

#[test]
fn fuzz_faults_then_converge() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SIM_SEED is a number")],
        Err(_) => {
            let n = std::env::var("SIM_FUZZ_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(100);
            (0..n).collect()
        }
    };
    let (mut acked, mut lost, mut failures) = (0, 0, Vec::new());
    for seed in &seeds {
        match run_seed(*seed) {
            Ok(o) => {
                acked += o.acked;
                lost += o.lost;
            }
            Err(e) => failures.push(format!(
                "seed {seed}: {e}\n  replay: SIM_SEED={seed} cargo test --test sim_fuzz"
            )),
        }
    }
    println!(
        "{} seeds, {acked} acknowledged writes, {lost} lost on failover (asynchronous replication)",
        seeds.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
