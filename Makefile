# Shortcuts for the usual tasks; each is one of the npm scripts or scripts/ underneath.
.PHONY: setup start dev test typecheck build bench smoke compose-check image up down logs

setup:            ## install what is missing (Debian packages as root, npm packages)
	bash scripts/setup.sh

start:            ## run the app (private Postgres/Redis under .data/ unless DATABASE_URL/REDIS_URL)
	npm start

dev:              ## the same with rebuild and reload on change
	npm run dev

test:             ## every test: unit, integration, browser
	npm test

typecheck:
	npx tsc

build:
	npm run build

bench:            ## the benchmark table (docs/benchmarks.md keeps the latest)
	npm run bench

smoke:            ## end-to-end check of a running instance: make smoke BASE_URL=… MEDIA_URL=…
	bash scripts/test-streaming.sh "$(BASE_URL)" "$(MEDIA_URL)"

compose-check:    ## validate docker-compose.yml against .env
	docker-compose config -q

image:
	docker build -t taivideonhanh:latest .

up:               ## the production-like stack: make up WEB=2 WORKERS=3
	docker compose up -d --build --scale web=$(or $(WEB),1) --scale worker=$(or $(WORKERS),1)

down:
	docker compose down

logs:
	docker compose logs -f --tail=100
