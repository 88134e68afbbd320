//! Key paths and their lines in the plan file: the shared locator of
//! [`crate::input::locate`], re-exported under its old name.

pub use crate::input::locate::{line_of, line_of_path, path_at, KeyPath, Seg};
