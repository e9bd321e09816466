//! `sentinel-lab compose`: a Compose file's services run as processes of
//! this binary (or Debian's redis binaries with `--real`), without Docker.
//!
//! Each service is a container: a folder under `.compose/<project>/`, a
//! loopback address of its own (`<subnet>.(i+2)`) where it keeps its
//! container port, a log, and while it runs a shim process ([`shim`]) that
//! started the node, forwards its published ports ([`proxy`]) and records
//! its exit. One hosts file ([`hosts`]) is the project's name resolver.
//!
//! - [`cli`]: the command line, Compose v2's verbs and flags.
//! - [`project`]: file lookup, project name, the state folder.
//! - [`container`]: a container's record and state on disk.
//! - [`runner`]: up, down, stop, kill, start, restart.
//! - [`progress`], [`ps`], [`logs`]: what Compose prints.
//! - [`real`]: Debian's binaries in a mount namespace with the hosts file.

pub mod cli;
pub mod container;
pub mod hosts;
pub mod logs;
pub mod progress;
pub mod project;
pub mod proxy;
pub mod ps;
pub mod real;
pub mod runner;
pub mod shim;

pub use cli::run_compose;
