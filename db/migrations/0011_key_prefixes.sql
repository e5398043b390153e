-- A key's prefix was its first 12 characters: 'jtp_' and 8 characters of the secret, shown in
-- every key listing. New keys are 'jtp_<8 hex digits>_<secret>' and their prefix is 'jtp_<8 hex
-- digits>', a public id of its own. Older keys keep working; their prefix loses the secret's
-- characters (they are told apart by name, id and creation time).
update api_keys set prefix = 'jtp_' where prefix !~ '^jtp_[0-9a-f]{8}$';
