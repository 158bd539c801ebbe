//! sea-orm entities: the rows as stored. Domain modules convert them to shared types.

pub mod workspace;
