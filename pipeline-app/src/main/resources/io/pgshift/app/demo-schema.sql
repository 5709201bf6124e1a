-- demo-schema.sql: the demo's sample shop, a few hundred thousand rows of related tables and varied types.
-- Parameters: none. Run in an empty database.
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled', 'en attente ✓');
CREATE TABLE customers (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       varchar(120) NOT NULL,
    country    char(2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    birthday   date,
    vip        boolean NOT NULL DEFAULT false,
    prefs      jsonb,
    note       text
);
CREATE TABLE products (
    id         serial PRIMARY KEY,
    sku        uuid NOT NULL UNIQUE,
    title      text NOT NULL,
    price      numeric(12,2) NOT NULL,
    weight_kg  double precision,
    tags       text[],
    thumbnail  bytea
);
CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers(id),
    status      order_status NOT NULL DEFAULT 'new',
    placed_at   timestamp NOT NULL,
    ship_window interval,
    total       numeric(14,2) NOT NULL DEFAULT 0
);
CREATE TABLE order_items (
    order_id   bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no    smallint NOT NULL,
    product_id int NOT NULL REFERENCES products(id),
    quantity   int NOT NULL CHECK (quantity > 0),
    unit_price numeric(12,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
INSERT INTO customers (email, name, country, created_at, birthday, vip, prefs, note)
SELECT 'customer' || g || '@example.com', 'Customer ' || g, (ARRAY['DE','FR','US','JP','BR'])[1 + g % 5],
       timestamptz '2020-01-01 00:00:00+00' + g * interval '37 minutes', date '1950-01-01' + (g % 20000),
       g % 17 = 0, jsonb_build_object('lang', (ARRAY['de','fr','en'])[1 + g % 3], 'newsletter', g % 2 = 0),
       CASE WHEN g % 11 = 0 THEN 'Ünïcødé note ' || g || E'\twith tab' END
  FROM generate_series(1, 50000) g;
INSERT INTO products (sku, title, price, weight_kg, tags, thumbnail)
SELECT md5('sku' || g)::uuid, 'Product "' || g || '"', round((g % 997) * 1.37 + 0.99, 2), (g % 300) / 7.0,
       ARRAY['tag' || (g % 7), 'tag' || (g % 13)], decode(md5('img' || g), 'hex')
  FROM generate_series(1, 5000) g;
INSERT INTO orders (customer_id, status, placed_at, ship_window, total)
SELECT 1 + g % 50000, (ARRAY['new','paid','shipped','cancelled','en attente ✓']::order_status[])[1 + g % 5],
       timestamp '2023-01-01' + g * interval '3 minutes 7.123456 seconds', (g % 72) * interval '1 hour', 0
  FROM generate_series(1, 150000) g;
INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
SELECT o, l, 1 + (o * 7 + l) % 5000, 1 + (o + l) % 5, round(((o + l) % 500) * 0.97 + 1, 2)
  FROM generate_series(1, 150000) o, generate_series(1, 2) l;
UPDATE orders o SET total = s.total FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY 1) s WHERE s.order_id = o.id;
ANALYZE;
