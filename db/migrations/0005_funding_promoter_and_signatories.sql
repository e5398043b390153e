-- Funding in its new shape (SPEC section 3): the vendor established in Lithuania is the project
-- promoter, the start-up the partner; the grant scheme, the call's grant bounds, the aid basis
-- and the programme operator are recorded. Rows written before this change held
-- {programme, call_code, grant_amount, cofinancing_rate, de_minimis}; they are mapped here so
-- every stored funding decodes as the one Funding type:
--   de_minimis true -> aid_basis 'de_minimis', false -> 'block_exemption' (the only other basis);
--   scheme 'standard' (the old shape had no scheme; the standard scheme is the programme's default);
--   grant_bounds null (never recorded: a later change of the funding must state them);
--   programme_operator 'MITA' and promoter 'vendor' (the defaults, and the only valid promoter);
--   partnership_agreement false (the agreement did not say it was one).
update engagements
   set funding = (funding - 'de_minimis') || jsonb_build_object(
           'scheme', 'standard',
           'grant_bounds', null,
           'aid_basis', case when (funding ->> 'de_minimis')::boolean then 'de_minimis' else 'block_exemption' end,
           'programme_operator', 'MITA',
           'promoter', 'vendor',
           'partnership_agreement', false)
 where funding is not null
   and funding ? 'de_minimis';

-- Each party may name its signatory (name, title, authority) ahead of signing; the contract's
-- signature blocks show them and signing records them.
alter table engagements add column signatories jsonb not null default '{}';

-- The authority under which the signatory signed (e.g. articles of association, power of attorney).
alter table signatures add column signer_authority text;
