-- The tables of the arena API's schema that the tools read and write, and
-- the ones around them (DESIGN §2): the test copy of production's schema as
-- of the API's migration V12, faithful column for column (types, lengths,
-- nullability, defaults), constraint for constraint (checks, unique
-- constraints, foreign keys with their ON DELETE) and index for index, so
-- that query plans, benchmarks and constraint failures in tests are
-- production's. The API service owns and migrates the real one;
-- internal/pgtest's schema test checks this file against DESIGN §2.
-- Loading it into an empty database gives a database the tools accept, with
-- the 21 leaderboards and no models or battles.

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS api;

-- ---- models ------------------------------------------------------------------

CREATE TABLE api.model (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug           varchar(200) NOT NULL UNIQUE,
    name           varchar(300) NOT NULL,
    license        varchar(20)  NOT NULL CHECK (license IN ('open-source', 'proprietary')),
    active         boolean      NOT NULL DEFAULT false,
    alias          varchar(200),
    external_link  varchar(300) NOT NULL,
    organization   varchar(200),
    description    varchar(300),
    api_model_name varchar(300) NOT NULL,
    api_base       varchar(300) NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX idx_model_license ON api.model (license);
CREATE INDEX idx_model_active ON api.model (active);

-- ---- example prompts -----------------------------------------------------------

CREATE TABLE api.example_prompt (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question                    varchar(160) NOT NULL,
    source                      varchar(100) NOT NULL CHECK (source IN ('pubmedqa', 'bixbench', 'bixarena')),
    active                      boolean      NOT NULL DEFAULT false,
    created_at                  timestamptz  NOT NULL DEFAULT now(),
    effective_categorization_id uuid,
    created_by                  uuid
);
CREATE INDEX idx_example_prompt_source ON api.example_prompt (source);
CREATE INDEX idx_example_prompt_active ON api.example_prompt (active);
CREATE INDEX idx_example_prompt_effective_categorization_id ON api.example_prompt (effective_categorization_id);

CREATE TABLE api.example_prompt_categorization (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prompt_id      uuid         NOT NULL REFERENCES api.example_prompt (id) ON DELETE CASCADE,
    method         varchar(100) NOT NULL,
    categorized_by uuid,
    reason         varchar(1000),
    status         varchar(20)  NOT NULL,
    category       varchar(100),
    created_at     timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX idx_example_prompt_categorization_prompt_id ON api.example_prompt_categorization (prompt_id);
CREATE INDEX idx_example_prompt_categorization_category ON api.example_prompt_categorization (category);
CREATE INDEX idx_example_prompt_categorization_status ON api.example_prompt_categorization (status);

ALTER TABLE api.example_prompt
    ADD CONSTRAINT fk_example_prompt_effective_categorization
        FOREIGN KEY (effective_categorization_id) REFERENCES api.example_prompt_categorization (id) ON DELETE SET NULL;

-- ---- battles -------------------------------------------------------------------

CREATE TABLE api.battle (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title                       varchar(255),
    user_id                     uuid        NOT NULL,
    model1_id                   uuid        NOT NULL REFERENCES api.model (id) ON DELETE CASCADE,
    model2_id                   uuid        NOT NULL REFERENCES api.model (id) ON DELETE CASCADE,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    ended_at                    timestamptz,
    effective_validation_id     uuid,
    effective_categorization_id uuid,
    example_prompt_id           uuid REFERENCES api.example_prompt (id) ON DELETE SET NULL
);
CREATE INDEX idx_battle_user_id ON api.battle (user_id);
CREATE INDEX idx_battle_created_at ON api.battle (created_at DESC);
CREATE INDEX idx_battle_user_ended ON api.battle (user_id, ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX idx_battle_effective_validation_id ON api.battle (effective_validation_id);
CREATE INDEX idx_battle_effective_categorization_id ON api.battle (effective_categorization_id);
CREATE INDEX idx_battle_example_prompt_id ON api.battle (example_prompt_id) WHERE example_prompt_id IS NOT NULL;

-- Each round of a battle: the user's prompt and each model's answer.
CREATE TABLE api.message (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role       varchar(20)    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content    varchar(50000) NOT NULL,
    created_at timestamptz    NOT NULL DEFAULT now()
);

CREATE TABLE api.battle_round (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id         uuid        NOT NULL REFERENCES api.battle (id) ON DELETE CASCADE,
    round_number      integer     NOT NULL DEFAULT 1,
    prompt_message_id uuid        NOT NULL REFERENCES api.message (id),
    model1_message_id uuid REFERENCES api.message (id) ON DELETE SET NULL,
    model2_message_id uuid REFERENCES api.message (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX battle_round_battle_id_idx ON api.battle_round (battle_id);
CREATE INDEX battle_round_round_number_idx ON api.battle_round (round_number);
CREATE INDEX battle_round_created_at_idx ON api.battle_round (created_at DESC);

CREATE TABLE api.battle_evaluation (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id  uuid        NOT NULL UNIQUE REFERENCES api.battle (id) ON DELETE CASCADE,
    outcome    varchar(20) NOT NULL CHECK (outcome IN ('model1', 'model2', 'tie')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_battle_evaluation_outcome ON api.battle_evaluation (outcome);
CREATE INDEX idx_battle_evaluation_created_at ON api.battle_evaluation (created_at DESC);

-- Several validations per battle may exist; only the one that
-- battle.effective_validation_id points to counts.
CREATE TABLE api.battle_validation (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id     uuid          NOT NULL REFERENCES api.battle (id) ON DELETE CASCADE,
    method        varchar(100)  NOT NULL,
    confidence    numeric(4, 3) NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    is_biomedical boolean       NOT NULL,
    validated_by  uuid,
    reason        varchar(1000),
    created_at    timestamptz   NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq_battle_validation_automated ON api.battle_validation (battle_id, method)
    WHERE validated_by IS NULL;
CREATE UNIQUE INDEX uq_battle_validation_manual ON api.battle_validation (battle_id, method, validated_by)
    WHERE validated_by IS NOT NULL;
CREATE INDEX idx_battle_validation_battle_id ON api.battle_validation (battle_id);

-- status is matched, abstained or failed by convention only: production has
-- no check constraint on it.
CREATE TABLE api.battle_categorization (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id      uuid         NOT NULL REFERENCES api.battle (id) ON DELETE CASCADE,
    method         varchar(100) NOT NULL,
    categorized_by uuid,
    reason         varchar(1000),
    status         varchar(20)  NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX idx_battle_categorization_battle_id ON api.battle_categorization (battle_id);
CREATE INDEX idx_battle_categorization_status ON api.battle_categorization (status);

-- Free text that nothing validates.
CREATE TABLE api.battle_categorization_category (
    categorization_id uuid         NOT NULL REFERENCES api.battle_categorization (id) ON DELETE CASCADE,
    category          varchar(100) NOT NULL,
    PRIMARY KEY (categorization_id, category)
);

ALTER TABLE api.battle
    ADD CONSTRAINT fk_battle_effective_validation
        FOREIGN KEY (effective_validation_id) REFERENCES api.battle_validation (id) ON DELETE SET NULL,
    ADD CONSTRAINT fk_battle_effective_categorization
        FOREIGN KEY (effective_categorization_id) REFERENCES api.battle_categorization (id) ON DELETE SET NULL;

-- ---- leaderboards --------------------------------------------------------------

CREATE TABLE api.leaderboard (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        varchar(100) NOT NULL UNIQUE,
    name        varchar(200) NOT NULL,
    description text,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE api.leaderboard_snapshot (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    leaderboard_id      uuid         NOT NULL REFERENCES api.leaderboard (id) ON DELETE CASCADE,
    snapshot_identifier varchar(200) NOT NULL,
    description         text,
    visibility          varchar(20)  NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (leaderboard_id, snapshot_identifier)
);
CREATE INDEX idx_leaderboard_snapshot_leaderboard_id ON api.leaderboard_snapshot (leaderboard_id);
CREATE INDEX idx_leaderboard_snapshot_created_at ON api.leaderboard_snapshot (created_at DESC);
CREATE INDEX idx_leaderboard_snapshot_visibility ON api.leaderboard_snapshot (visibility);

-- The API fails on a null interval bound: both are NOT NULL.
CREATE TABLE api.leaderboard_entry (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    leaderboard_id uuid           NOT NULL REFERENCES api.leaderboard (id) ON DELETE CASCADE,
    model_id       uuid           NOT NULL REFERENCES api.model (id) ON DELETE CASCADE,
    snapshot_id    uuid           NOT NULL REFERENCES api.leaderboard_snapshot (id) ON DELETE CASCADE,
    bt_score       numeric(10, 6) NOT NULL,
    vote_count     integer        NOT NULL DEFAULT 0,
    rank           integer        NOT NULL,
    bootstrap_q025 numeric(10, 6) NOT NULL,
    bootstrap_q975 numeric(10, 6) NOT NULL,
    created_at     timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (leaderboard_id, model_id, snapshot_id)
);
CREATE INDEX idx_leaderboard_entry_leaderboard_id ON api.leaderboard_entry (leaderboard_id);
CREATE INDEX idx_leaderboard_entry_model_id ON api.leaderboard_entry (model_id);
CREATE INDEX idx_leaderboard_entry_snapshot_id ON api.leaderboard_entry (snapshot_id);
CREATE INDEX idx_leaderboard_entry_rank ON api.leaderboard_entry (rank);
CREATE INDEX idx_leaderboard_entry_bt_score ON api.leaderboard_entry (bt_score DESC);

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
