//! Work no request waits on: this process among the others sharing the database
//! (`processes`), forgetting old received ids (`retention`), and the one-time check of HTML
//! stored before the sanitiser's bounds (`legacy_html`).

pub mod legacy_html;
pub mod processes;
pub mod retention;
