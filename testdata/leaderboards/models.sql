-- Models the leaderboard fixtures of this folder refer to. Load after
-- testdata/schema.sql: pgtest.NewDB(t, "testdata/leaderboards/models.sql").
INSERT INTO api.model (slug, name, license, active, external_link, organization, api_model_name, api_base) VALUES
    ('gpt-4o', 'GPT-4o', 'proprietary', true, 'https://openai.com/gpt-4o', 'OpenAI', 'gpt-4o', 'https://api.openai.com/v1'),
    ('claude-3-5-sonnet', 'Claude 3.5 Sonnet', 'proprietary', true, 'https://anthropic.com/claude', 'Anthropic', 'claude-3-5-sonnet', 'https://api.anthropic.com'),
    ('llama-3-70b', 'Llama 3 70B', 'open-source', true, 'https://llama.meta.com', 'Meta', 'llama-3-70b', 'https://api.example.org'),
    ('mistral-large', 'Mistral Large', 'proprietary', false, 'https://mistral.ai', 'Mistral AI', 'mistral-large', 'https://api.mistral.ai'),
    ('biogpt', 'BioGPT <&> "large"', 'open-source', true, 'https://example.org/biogpt', NULL, 'biogpt', 'https://api.example.org');
