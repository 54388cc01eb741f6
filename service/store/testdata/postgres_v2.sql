-- A corsd PostgreSQL store of format version 2, as b635953..ddfe206
-- created it (postgres_format.cc: kSchema and the seed), holding one tenant
-- with an origin and an API host at revision 2. Opened by today's corsd in
-- postgres_store_test.cc.
CREATE TABLE IF NOT EXISTS corsd_meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS corsd_tenants(id text COLLATE "C" PRIMARY KEY, policy bytea NOT NULL);
CREATE TABLE IF NOT EXISTS corsd_entries(tenant text COLLATE "C" NOT NULL, kind smallint NOT NULL, value text COLLATE "C" NOT NULL, PRIMARY KEY(tenant, kind, value));
CREATE TABLE IF NOT EXISTS corsd_changes(revision bigint PRIMARY KEY, batch bytea NOT NULL);
INSERT INTO corsd_meta VALUES('format','corsd-store'),('version','2'),('revision','2') ON CONFLICT (key) DO NOTHING;
INSERT INTO corsd_tenants VALUES('shop','');
INSERT INTO corsd_entries VALUES('shop',1,'https://shop.example.com');
INSERT INTO corsd_entries VALUES('shop',3,'api.shop.example.com');
