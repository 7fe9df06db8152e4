-- The parts of the arena API's schema that the tools read and write
-- (DESIGN §2). This is the test copy: the API service owns and migrates the
-- real one. Loading it into an empty database gives a database the tools
-- accept, with the 21 leaderboards and no models or battles.

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS api;

CREATE TABLE api.model (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug           varchar(200) NOT NULL UNIQUE,
    name           varchar(300) NOT NULL,
    license        varchar(20)  NOT NULL CHECK (license IN ('open-source', 'proprietary')),
    active         boolean      NOT NULL DEFAULT false,
    external_link  varchar(300) NOT NULL,
    organization   varchar(200),
    api_model_name varchar(300) NOT NULL,
    api_base       varchar(300) NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE api.battle (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                     uuid NOT NULL,
    model1_id                   uuid NOT NULL REFERENCES api.model (id) ON DELETE CASCADE,
    model2_id                   uuid NOT NULL REFERENCES api.model (id) ON DELETE CASCADE,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    ended_at                    timestamptz,
    effective_validation_id     uuid,
    effective_categorization_id uuid
);

CREATE TABLE api.battle_evaluation (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id  uuid NOT NULL UNIQUE REFERENCES api.battle (id) ON DELETE CASCADE,
    outcome    varchar(20) NOT NULL CHECK (outcome IN ('model1', 'model2', 'tie')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api.battle_validation (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id     uuid NOT NULL REFERENCES api.battle (id) ON DELETE CASCADE,
    method        varchar(100) NOT NULL,
    confidence    numeric(4, 3) NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    is_biomedical boolean NOT NULL,
    validated_by  uuid,
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api.battle_categorization (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id      uuid NOT NULL REFERENCES api.battle (id) ON DELETE CASCADE,
    method         varchar(100) NOT NULL,
    categorized_by uuid,
    reason         text,
    status         varchar(20) NOT NULL CHECK (status IN ('matched', 'abstained', 'failed')),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api.battle_categorization_category (
    categorization_id uuid NOT NULL REFERENCES api.battle_categorization (id) ON DELETE CASCADE,
    category          varchar(100) NOT NULL,
    PRIMARY KEY (categorization_id, category)
);

ALTER TABLE api.battle
    ADD CONSTRAINT battle_effective_validation_fk
        FOREIGN KEY (effective_validation_id) REFERENCES api.battle_validation (id) ON DELETE SET NULL,
    ADD CONSTRAINT battle_effective_categorization_fk
        FOREIGN KEY (effective_categorization_id) REFERENCES api.battle_categorization (id) ON DELETE SET NULL;

CREATE INDEX battle_validation_battle_idx ON api.battle_validation (battle_id);
CREATE INDEX battle_categorization_battle_idx ON api.battle_categorization (battle_id);

CREATE TABLE api.leaderboard (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        varchar(100) NOT NULL UNIQUE,
    name        varchar(200) NOT NULL,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api.leaderboard_snapshot (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    leaderboard_id      uuid NOT NULL REFERENCES api.leaderboard (id) ON DELETE CASCADE,
    snapshot_identifier varchar(200) NOT NULL,
    description         text,
    visibility          varchar(20) NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (leaderboard_id, snapshot_identifier)
);

CREATE TABLE api.leaderboard_entry (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    leaderboard_id uuid NOT NULL REFERENCES api.leaderboard (id) ON DELETE CASCADE,
    model_id       uuid NOT NULL REFERENCES api.model (id) ON DELETE CASCADE,
    snapshot_id    uuid NOT NULL REFERENCES api.leaderboard_snapshot (id) ON DELETE CASCADE,
    bt_score       numeric(10, 6) NOT NULL,
    vote_count     integer NOT NULL,
    rank           integer NOT NULL,
    bootstrap_q025 numeric(10, 6),
    bootstrap_q975 numeric(10, 6),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (leaderboard_id, model_id, snapshot_id)
);

INSERT INTO api.leaderboard (slug, name, description) VALUES
    ('overall', 'Overall', 'All biomedical battles'),
    ('biochemistry', 'Biochemistry', 'Battles categorized as biochemistry'),
    ('bioengineering', 'Bioengineering', 'Battles categorized as bioengineering'),
    ('bioinformatics', 'Bioinformatics', 'Battles categorized as bioinformatics'),
    ('cancer-biology', 'Cancer Biology', 'Battles categorized as cancer biology'),
    ('cell-biology', 'Cell Biology', 'Battles categorized as cell biology'),
    ('clinical-trials', 'Clinical Trials', 'Battles categorized as clinical trials'),
    ('developmental-biology', 'Developmental Biology', 'Battles categorized as developmental biology'),
    ('epidemiology', 'Epidemiology', 'Battles categorized as epidemiology'),
    ('evolutionary-biology', 'Evolutionary Biology', 'Battles categorized as evolutionary biology'),
    ('genetics', 'Genetics', 'Battles categorized as genetics'),
    ('genomics', 'Genomics', 'Battles categorized as genomics'),
    ('immunology', 'Immunology', 'Battles categorized as immunology'),
    ('microbiology', 'Microbiology', 'Battles categorized as microbiology'),
    ('molecular-biology', 'Molecular Biology', 'Battles categorized as molecular biology'),
    ('neuroscience', 'Neuroscience', 'Battles categorized as neuroscience'),
    ('pathology', 'Pathology', 'Battles categorized as pathology'),
    ('pharmacology-and-toxicology', 'Pharmacology and Toxicology', 'Battles categorized as pharmacology and toxicology'),
    ('physiology', 'Physiology', 'Battles categorized as physiology'),
    ('synthetic-biology', 'Synthetic Biology', 'Battles categorized as synthetic biology'),
    ('systems-biology', 'Systems Biology', 'Battles categorized as systems biology');
