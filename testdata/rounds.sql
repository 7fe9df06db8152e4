-- api.message and api.battle_round (DESIGN §2): each round of a battle
-- holds the user's prompt and each model's answer, which style control
-- measures. Kept apart from schema.sql until that file holds them; every
-- statement is a no-op where they exist.
CREATE TABLE IF NOT EXISTS api.message (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role       varchar(20) NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content    varchar(50000) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS api.battle_round (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    battle_id         uuid NOT NULL REFERENCES api.battle (id) ON DELETE CASCADE,
    round_number      integer NOT NULL DEFAULT 1,
    prompt_message_id uuid NOT NULL REFERENCES api.message (id),
    model1_message_id uuid REFERENCES api.message (id) ON DELETE SET NULL,
    model2_message_id uuid REFERENCES api.message (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS battle_round_battle_id_idx ON api.battle_round (battle_id);
CREATE INDEX IF NOT EXISTS battle_round_round_number_idx ON api.battle_round (round_number);
CREATE INDEX IF NOT EXISTS battle_round_created_at_idx ON api.battle_round (created_at DESC);
