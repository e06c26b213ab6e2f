# pg_nps: every target is a thin call into scripts/. See README.md.
.PHONY: all demo test bench install db psql stop clean bootstrap

all: test

bootstrap:
	@scripts/bootstrap

demo:
	@scripts/demo

test:
	@scripts/test

bench:
	@scripts/bench

install:
	@scripts/install

db: install
	@scripts/cluster start
	@. scripts/lib.sh && cluster_dirs && pg_psql -d "$$DB" -qc 'create extension if not exists pg_nps'

psql: db
	@. scripts/lib.sh && cluster_dirs && pg_psql -d "$$DB"

stop:
	@scripts/cluster stop

clean:
	@scripts/cluster destroy
	cargo clean
