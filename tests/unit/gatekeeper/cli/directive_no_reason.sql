-- gatekeeper:allow truncate
TRUNCATE t;
