-- Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d), as the
-- image's superuser (synapse, which owns the C-collated synapse database). Creates the bridge's own
-- role and database. The password is read from the secrets volume, never written here.
\set bridge_password `cat /run/secrets/peerline/bridge_password`
CREATE ROLE peerline_bridge LOGIN PASSWORD :'bridge_password';
CREATE DATABASE peerline_bridge OWNER peerline_bridge ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE peerline_bridge FROM PUBLIC;
