//! What other servers send and ask: the inbox checks a request (`inbox`: size, JSON,
//! signature, the key's owner through `key_lookup`, blocks and rates), queues content
//! activities (`queue`) and applies them (`activities`, thin adapters over `crate::actions`);
//! `authorised_fetch` decides who may read a non-public group's documents, `webfinger` answers
//! look-ups of local names.

pub mod activities;
pub mod authorised_fetch;
pub mod inbox;
pub(crate) mod key_lookup;
pub mod queue;
pub mod webfinger;
