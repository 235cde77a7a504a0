//! The `portal` command line: serve (default), migrate, schema, seed, import, token.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use portal::{Application, Config};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "portal",
    version,
    about = "Góp Ý — GraphQL backend of a city's citizen and business feedback portal",
    after_help = "Examples:\n  portal serve --demo            run with demo data on SQLite under ./data\n  portal schema > schema.graphql print the GraphQL SDL\n  portal token --role ADMIN      mint a token for scripts\n\nConfiguration comes from the environment (DATABASE_URL, PORTAL_ADDR, JWT_SECRET, …) and an\noptional portal.toml; see the README."
)]
struct Cli {
    /// Log as JSON lines instead of readable text (also PORTAL_LOG_FORMAT=json).
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL server (the default command).
    #[command(after_help = "Example:\n  portal serve --demo --addr 0.0.0.0:8080")]
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    #[command(
        after_help = "Example:\n  DATABASE_URL=postgres://postgres@127.0.0.1/gopy portal migrate"
    )]
    Migrate,
    /// Print the GraphQL schema (SDL, sorted) to standard output.
    #[command(after_help = "Example:\n  portal schema > schema.graphql")]
    Schema,
    /// Load data into the database: the demo catalog, or synthetic data in bulk.
    #[command(
        after_help = "Examples:\n  portal seed --demo\n  portal seed --synthetic --ratings 1000000 --dossiers 200000 --complaints 50000 --year 2026\n\nSynthetic data is marked as such (dossier codes SYN-…, complaints filed by \"Dữ liệu tổng hợp\")."
    )]
    Seed {
        /// The demo units, procedures, accounts and synthetic feedback.
        #[arg(long, required_unless_present = "synthetic")]
        demo: bool,
        /// Bulk synthetic dossiers, ratings and complaints over the units of --year (the demo
        /// catalog is loaded first when the database has no units).
        #[arg(long)]
        synthetic: bool,
        #[arg(long, default_value_t = 0, requires = "synthetic")]
        ratings: u64,
        #[arg(long, default_value_t = 0, requires = "synthetic")]
        dossiers: u64,
        #[arg(long, default_value_t = 0, requires = "synthetic")]
        complaints: u64,
        /// The year the synthetic records fall in (up to today).
        #[arg(long, requires = "synthetic")]
        year: Option<i32>,
    },
    /// Measure computing a year of the PAR index over what the database holds: opens the year
    /// with the default template if it is not open, computes it, and prints the time.
    #[command(
        after_help = "Example:\n  DATABASE_URL=postgres://postgres@127.0.0.1/gopy portal seed --synthetic --ratings 10000000 --dossiers 2000000 --year 2026\n  DATABASE_URL=postgres://postgres@127.0.0.1/gopy portal bench-par --year 2026 --runs 3"
    )]
    BenchPar {
        #[arg(long)]
        year: i32,
        /// How many times to compute (the first run warms the caches).
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Measure the GraphQL API under load: prepares the data (the demo catalog, complaints
    /// topped up in bulk), starts the server as a child process, and loads typical reads and
    /// writes one scenario at a time with closed-loop clients. Prints throughput, latency
    /// percentiles, errors, CPU time per request of the server and the database, and the
    /// server's peak memory, then a Markdown table.
    #[command(
        after_help = "Examples:\n  portal bench-api --complaints 200000 --seconds 10\n  portal bench-api --complaints 20000 --seconds 3 --scenarios complaint_by_id,unit_complaints\n  DATABASE_URL=postgres://postgres@127.0.0.1:5432/gopy_bench portal bench-api\n  portal bench-api --scenarios mixed --sigterm-after 3\n  portal bench-api --url http://127.0.0.1:8080 --server-pid 4242 --data-dir ./data\n\nScenarios: complaint_by_id, unit_complaints (the two reads of shared/bench/vs_postgraphile.sh),\nprocedures_of_unit, dossier_stats, submit_rating, file_complaint, mixed (80% reads, 20% writes).\n--sigterm-after checks that no acknowledged write is lost when the server stops under load.\nThe started server's log is kept beside the data (bench-api-server.log)."
    )]
    BenchApi(portal::bench_api::BenchApiArgs),
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Anonymise the contacts (and the personal data in the text) of items that ended more
    /// than PORTAL_RETAIN_CONTACT_DAYS ago (365 by default). Servers do this every
    /// PORTAL_RETENTION_SWEEP_SECS on their own; several at once are safe.
    #[command(
        after_help = "Examples:\n  portal retention --dry-run\n  PORTAL_RETAIN_CONTACT_DAYS=730 portal retention"
    )]
    Retention {
        /// Only report what would be anonymised.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rebuild search indexes from the database (on Meilisearch through a temporary index and
    /// a swap). While a server holds the embedded index, its documents are queued for that
    /// server's indexer instead.
    #[command(after_help = "Examples:\n  portal reindex\n  portal reindex complaints")]
    Reindex {
        #[arg(value_enum, default_value = "all")]
        index: ReindexArg,
    },
    /// Measure search: generate synthetic complaints, index them through the outbox, and fire
    /// a mixed query load at searchComplaints over HTTP. Prints indexing rate, latency
    /// percentiles, throughput and peak memory.
    #[command(
        after_help = "Example:\n  cargo run --release -- bench --complaints 100000 --concurrency 8 --seconds 30"
    )]
    Bench(portal::bench::BenchArgs),
    /// Notifications: send a test message through a channel, or see how deliveries stand.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Mint an access token for scripts (uses JWT_SECRET, or the demo secret in ./data).
    #[command(
        after_help = "Examples:\n  portal token --role ADMIN\n  portal token --role OFFICIAL --unit STP --ttl 2h"
    )]
    Token {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Unit code (officials and evaluators), e.g. STP or Q5.
        #[arg(long)]
        unit: Option<String>,
        /// Tax code of the business (business role).
        #[arg(long)]
        business: Option<String>,
        /// Lifetime, e.g. 30m, 1h, 7d.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
}

#[derive(Subcommand)]
enum NotifyCommand {
    /// Send one test message through a channel as configured (PORTAL_SMTP_URL,
    /// PORTAL_SMS_WEBHOOK_URL, PORTAL_ZALO_WEBHOOK_URL; unset, it is written under
    /// ./data/outbox/). Exits non-zero, with the reason, if the channel refuses it.
    #[command(
        after_help = "Examples:\n  PORTAL_SMTP_URL=smtp://user:pass@mail.example.gov.vn:587 portal notify test --to ops@example.gov.vn --channel email\n  portal notify test --to 0903123456 --channel sms"
    )]
    Test {
        /// The e-mail address or phone number to send to.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "email")]
        channel: ChannelArg,
    },
    /// How many messages are queued, sent, failing and given up, and the oldest waiting.
    #[command(after_help = "Example:\n  portal notify status")]
    Status,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ChannelArg {
    Email,
    Sms,
    Zalo,
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// Seed demo data (if missing) and use a demo JWT secret kept in ./data.
    #[arg(long)]
    demo: bool,
    /// Address to listen on (overrides PORTAL_ADDR).
    #[arg(long)]
    addr: Option<String>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A city's units through time (versions and successions), keyed on the unit code.
    #[command(
        after_help = "Columns: code,name,short_name,block,parent,valid_from,valid_to,successors\n(block: DEPARTMENT, VERTICAL_AGENCY, DISTRICT or COMMUNE; several rows of one code are its\nversions; successors: codes separated by ';', each optionally CODE:MERGED_INTO, CODE:SPLIT_INTO\nor CODE:RENAMED, in effect the day after valid_to).\n\nExample:\n  portal import units units-2025.csv\n\n  code,name,short_name,block,parent,valid_from,valid_to,successors\n  Q5,Quận 5,Quận 5,DISTRICT,,2022-01-01,2025-06-30,P.CHOLON;P.ANDONG;P.CHOQUAN\n  P.CHOLON,Phường Chợ Lớn,Chợ Lớn,COMMUNE,,2025-07-01,,"
    )]
    Units { file: PathBuf },
    /// Procedures from CSV (with a header) or JSON lines, keyed on the procedure code.
    #[command(
        after_help = "Columns: code,name,field,level,processing_days,one_day,online_level,units\n(units: unit codes separated by ';').\n\nExample:\n  portal import procedures catalog.csv"
    )]
    Procedures { file: PathBuf },
    /// Dossiers from the one-stop-shop system's export (CSV or JSON lines), keyed on the code.
    #[command(
        after_help = "Columns: code,procedure_code,unit_code,filer_kind,tax_code,received_at,completed_at\nand optionally rating_code, channel (ONLINE or IN_PERSON), due_at (the appointment the\none-stop-shop system gave), apology_issued_at, apology_reason, apology_new_due_at, delay_excused\n(times: 2026-04-24T09:00:00+07:00, or 2026-04-24 09:00 in the city's time).\n\nExample:\n  portal import dossiers one-stop-export.csv"
    )]
    Dossiers { file: PathBuf },
    /// The search dictionary: abbreviations, everyday names and concerns, replacing the one
    /// in use as its next version (running servers read it within 30 seconds).
    #[command(
        after_help = "One entry a line, '#' comments:  KIND | PHRASES [=> EXPANSIONS]\n(KIND: abbr, name, or concern:HARASSMENT|BRIBERY|DELAY|ATTITUDE|OVERCHARGE|LOST_FILE;\nphrases separated by ','; PHRASES find each other, EXPANSIONS are found one way).\nThe default is src/search/dictionary_vi.txt; `searchSynonyms { text }` prints the one in use.\n\nExample:\n  portal import synonyms dictionary.txt\n\n  abbr | GPLX, giấy phép lái xe, bằng lái xe\n  name | sổ hồng, giấy chứng nhận quyền sử dụng đất\n  concern:BRIBERY | đưa hối lộ => tiền bồi dưỡng, lót tay"
    )]
    Synonyms { file: PathBuf },
    /// A year of the PAR index published outside the portal, as a read-only period.
    #[command(
        after_help = "Columns: unit_code,block,total,band,rank,block_size (rank empty in an unranked block).\n\nExample:\n  portal import par-results par-2022.csv --year 2022 --source \"Quyết định công bố Chỉ số CCHC 2022\"\n\n  unit_code,block,total,band,rank,block_size\n  STP,DEPARTMENT,97.57,Tốt,1,26\n  CHQ,VERTICAL_AGENCY,95.17,Tốt,,7"
    )]
    ParResults {
        file: PathBuf,
        #[arg(long)]
        year: i32,
        /// Where the figures were published (shown with the year).
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReindexArg {
    All,
    Complaints,
    Procedures,
    Units,
    Dialogues,
}

#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
enum RoleArg {
    Citizen,
    Business,
    Official,
    Evaluator,
    Admin,
}

impl From<RoleArg> for portal::auth::Role {
    fn from(r: RoleArg) -> Self {
        use portal::auth::Role;
        match r {
            RoleArg::Citizen => Role::Citizen,
            RoleArg::Business => Role::Business,
            RoleArg::Official => Role::Official,
            RoleArg::Evaluator => Role::Evaluator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn main() -> ExitCode {
    // Worker threads get 8 MiB of stack, not tokio's 2: the GraphQL parser and validator recurse
    // over a document. Documents nested deeper than a legitimate query are refused before
    // parsing; the larger stack is a margin, not the defence.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build();
    match runtime {
        Ok(rt) => rt.block_on(start()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    portal::telemetry::init(cli.log_json || config.log_json);
    if let Some(t) = config.clock_start {
        portal::clock::start_at(t);
        tracing::warn!(start = %t, "PORTAL_CLOCK: the city's clock starts at a given instant, not today");
    }
    match run(cli, config).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, mut config: Config) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(a) = &args.addr {
                config.set_addr(a).context("--addr")?;
            }
            config.resolve_jwt_secret(args.demo, false)?;
            let app = Application::build(config, args.demo).await?;
            let addr = app.local_addr()?;
            if args.demo {
                print_demo_banner(addr);
            }
            tracing::info!(%addr, "Góp Ý is serving GraphQL at http://{addr}/graphql");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            println!(
                "migrations applied to {}",
                portal::db::redact(&config.database_url)
            );
        }
        Command::Schema => {
            print!("{}", portal::graphql::sdl());
        }
        Command::Seed {
            demo,
            synthetic,
            ratings,
            dossiers,
            complaints,
            year,
        } => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let shared = portal::calendar::SharedCalendar::new(config.holidays()?);
            shared.reload(&db).await?;
            let cal = shared.get();
            let empty = {
                use sea_orm::{EntityTrait, PaginatorTrait};
                entity::unit::Entity::find().count(&db).await? == 0
            };
            if demo || empty {
                let r = portal::seed::demo(&db, &cal, true).await?;
                println!("demo data: {r}");
            }
            if synthetic {
                let year = year.unwrap_or_else(|| {
                    use chrono::Datelike;
                    portal::clock::today().year()
                });
                let r =
                    portal::seed::bulk::seed(&db, &cal, year, dossiers, ratings, complaints, true)
                        .await?;
                println!("synthetic data for {year}: {r}");
                if complaints > 0 {
                    println!(
                        "complaints are queued for search: the server indexes them, or run `portal reindex complaints`"
                    );
                }
            }
        }
        Command::BenchPar { year, runs } => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            portal::par::bench(&db, year, runs).await?;
        }
        Command::Import(ImportCommand::ParResults { file, year, source }) => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let r = portal::par::import::import_file(&db, &file, year, source).await?;
            print!("PAR results {year}: {r}");
            if !r.rejected.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Import(ImportCommand::Units { file }) => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let r = portal::units::import::import_file(&db, &file, true).await?;
            print!("units: {r}");
            if !r.rejected.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Import(ImportCommand::Synonyms { file }) => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let r = portal::search::synonyms::import_file(&db, &file).await?;
            let count = |k: portal::search::dictionary::SynonymKind| {
                r.stored.entries.iter().filter(|e| e.kind == k).count()
            };
            use portal::search::dictionary::SynonymKind as K;
            println!(
                "synonyms: version {} stored, {} entries ({} abbreviations, {} everyday names, {} concern groups)",
                r.stored.version,
                r.stored.entries.len(),
                count(K::Abbreviation),
                count(K::EverydayName),
                count(K::Concern),
            );
            if r.requeued {
                println!("concern groups changed: every complaint is queued for indexing");
            }
        }
        Command::Import(ImportCommand::Procedures { file }) => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let r = portal::procedures::import::import_file(&db, &file, true).await?;
            print!("procedures: {r}");
            if !r.rejected.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Import(ImportCommand::Dossiers { file }) => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let cal = portal::calendar::SharedCalendar::new(config.holidays()?);
            cal.reload(&db).await?;
            let (r, receipts) =
                portal::dossiers::import::import_file(&db, &cal.get(), &file, true).await?;
            print!("dossiers: {r}");
            if !receipts.is_empty() {
                // Rating codes are kept only as hashes: this file is the one copy to print.
                let out = file.with_extension("receipts.csv");
                let mut text = String::from("code,rating_code\n");
                for (code, rating) in &receipts {
                    text.push_str(&format!("{code},{rating}\n"));
                }
                std::fs::write(&out, text)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                println!(
                    "rating codes drawn for {} dossiers: {} (print them on the receipts; the portal keeps only their hashes)",
                    receipts.len(),
                    out.display()
                );
            }
            if !r.rejected.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Reindex { index } => {
            use portal::search::IndexKind;
            let kinds: Vec<IndexKind> = match index {
                ReindexArg::All => IndexKind::ALL.to_vec(),
                ReindexArg::Complaints => vec![IndexKind::Complaints],
                ReindexArg::Procedures => vec![IndexKind::Procedures],
                ReindexArg::Units => vec![IndexKind::Units],
                ReindexArg::Dialogues => vec![IndexKind::Dialogues],
            };
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            match portal::search::open(&config, &db).await {
                Ok(search) => {
                    for kind in kinds {
                        let bar = portal::import::progress(
                            0,
                            &format!("reindexing {}", kind.name()),
                            true,
                        );
                        let started = std::time::Instant::now();
                        let n = portal::search::outbox::reindex(&db, &search, kind, |n| {
                            bar.set_position(n)
                        })
                        .await?;
                        bar.finish_and_clear();
                        println!(
                            "{}: {n} documents in {:.1} s ({})",
                            kind.name(),
                            started.elapsed().as_secs_f64(),
                            search.engine_name()
                        );
                    }
                }
                Err(e) => {
                    // The embedded index is held by a running server: hand the work to it.
                    eprintln!(
                        "search index busy ({e:#}); queueing documents for the running server"
                    );
                    for kind in kinds {
                        let n = portal::search::outbox::enqueue_all(&db, kind).await?;
                        println!("{}: {n} documents queued", kind.name());
                    }
                }
            }
        }
        Command::Retention { dry_run } => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let days = config.retain_contact_days;
            let now = portal::clock::now();
            let due = portal::privacy::retention::due(&db, days, now).await?;
            if dry_run {
                for c in &due.codes {
                    println!("{c}");
                }
                println!(
                    "{} item(s) ended more than {days} day(s) ago would have their contact anonymised (dry run: nothing changed)",
                    due.due
                );
            } else {
                let bar = portal::import::progress(due.due as usize, "anonymising contacts", true);
                let r = portal::privacy::retention::sweep(&db, days, |n, _| bar.set_position(n))
                    .await?;
                bar.finish_and_clear();
                println!(
                    "{r} (items ended more than {days} day(s) ago); search documents are queued for the indexer"
                );
            }
        }
        Command::Notify(NotifyCommand::Test { to, channel }) => {
            use portal::notify::Channel;
            let channel = match channel {
                ChannelArg::Email => Channel::Email,
                ChannelArg::Sms => Channel::Sms,
                ChannelArg::Zalo => Channel::Zalo,
            };
            match portal::notify::worker::send_test(&config, channel, &to).await {
                Ok(via) => println!("sent a test {} to {to} via {via}", channel.as_str()),
                Err(e) => {
                    eprintln!("the test {} to {to} failed: {e}", channel.as_str());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Notify(NotifyCommand::Status) => {
            let db = portal::db::connect(&config.database_url).await?;
            portal::db::migrate(&db).await?;
            let s = portal::notify::worker::standing(&db).await?;
            for (status, n) in &s.counts {
                println!("{status:<10} {n}");
            }
            match s.oldest_due {
                Some(t) => println!(
                    "oldest message waiting since {} ({} s)",
                    portal::scalars::Instant::print(&t),
                    (portal::clock::now() - t).num_seconds().max(0)
                ),
                None => println!("nothing waiting"),
            }
        }
        Command::Bench(args) => {
            portal::bench::run(args).await?;
        }
        Command::BenchApi(args) => {
            portal::bench_api::run(args).await?;
        }
        Command::Token {
            role,
            unit,
            business,
            ttl,
        } => {
            config.resolve_jwt_secret(false, true)?;
            let token = mint_token(&config, role.into(), unit, business, ttl).await?;
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Signs a token for scripts. Unit and business are given by code and looked up, so the token
/// carries the same ids as an account's would.
async fn mint_token(
    config: &Config,
    role: portal::auth::Role,
    unit: Option<String>,
    business: Option<String>,
    ttl: Duration,
) -> anyhow::Result<String> {
    use portal::auth::Role;
    let needs_unit = matches!(role, Role::Official | Role::Evaluator);
    if needs_unit && unit.is_none() {
        anyhow::bail!("--unit CODE is required for OFFICIAL and EVALUATOR tokens");
    }
    if role == Role::Business && business.is_none() {
        anyhow::bail!("--business TAXCODE is required for BUSINESS tokens");
    }
    let mut unit_id = None;
    let mut business_id = None;
    if unit.is_some() || business.is_some() {
        let db = portal::db::connect(&config.database_url).await?;
        portal::db::migrate(&db).await?;
        if let Some(code) = unit {
            let u = portal::units::get(&db, None, Some(&code))
                .await
                .map_err(anyhow::Error::from)?
                .with_context(|| format!("--unit: no unit has code {code}"))?;
            unit_id = Some(u.id);
        }
        if let Some(tax) = business {
            let t = portal::businesses::TaxCode::parse(&tax)
                .map_err(|e| anyhow::Error::from(e).context("--business"))?;
            let b = portal::businesses::find_by_tax_code(&db, &t)
                .await
                .map_err(anyhow::Error::from)?
                .with_context(|| format!("--business: no business has tax code {t}"))?;
            business_id = Some(b.id);
        }
    }
    let keys = portal::auth::Keys::new(
        config.jwt_secret.as_deref().unwrap_or_default(),
        &config.jwt_issuer,
        &config.jwt_audience,
        config.access_token_ttl,
    );
    let (token, _) = keys
        .issue(
            portal::auth::TokenFor::script(role, unit_id, business_id),
            Some(ttl),
        )
        .map_err(anyhow::Error::from)?;
    Ok(token)
}

fn print_demo_banner(addr: std::net::SocketAddr) {
    println!("\nGóp Ý demo — GraphQL and GraphiQL at http://{addr}/graphql\n");
    println!("Demo accounts (user name / password / role):");
    for (user, pw, _, role, unit) in portal::seed::DEMO_ACCOUNTS {
        let unit = unit.map(|u| format!(" of unit {u}")).unwrap_or_default();
        println!("  {user:<14} {pw:<22} {role:?}{unit}");
    }
    println!("\nDemo data is synthetic; it is not the city's official data.\n");
}
