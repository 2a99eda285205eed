/**
 * nginx site of a shard: serves Jitsi Meet, proxies BOSH and websockets to Prosody and the health and
 * conference-request endpoints to Jicofo. Plain HTTP: TLS ends at the edge load balancer, and the
 * security group admits only the edge proxies. Validated with `nginx -t` (tests/daemons/nginx.test.ts).
 */
import { PORTS } from "../config/ports";

export interface ShardNginxInput {
  readonly domain: string;
  /** Where the Debian package installs the web app. */
  readonly webRoot?: string;
  /** Path of the config.js this project renders. */
  readonly configJsPath: string;
}

export function renderShardNginx(i: ShardNginxInput): string {
  const root = i.webRoot ?? "/usr/share/jitsi-meet";
  const prosody = `http://127.0.0.1:${PORTS.prosodyHttp}`;
  const jicofo = `http://127.0.0.1:${PORTS.jicofoRest}`;
  return `# Rendered by jitsi-aws (render/nginx-shard.ts).
server {
    listen ${PORTS.shardHttp} default_server;
    server_name ${i.domain};
    root ${root};
    index index.html;
    client_max_body_size 1m;
    server_tokens off;

    # The edge sets X-Forwarded-* ; keep the client address for Prosody's logs.
    set_real_ip_from 10.0.0.0/8;
    set_real_ip_from 172.16.0.0/12;
    set_real_ip_from 192.168.0.0/16;
    real_ip_header X-Forwarded-For;

    location = /config.js {
        alias ${i.configJsPath};
        add_header Cache-Control "no-cache";
    }

    location = /http-bind {
        proxy_pass ${prosody}/http-bind$is_args$args;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header Host ${i.domain};
        # BOSH long-polls for up to 60 s.
        proxy_read_timeout 90s;
        proxy_buffering off;
    }

    location = /xmpp-websocket {
        proxy_pass ${prosody}/xmpp-websocket$is_args$args;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_set_header Host ${i.domain};
        proxy_set_header X-Forwarded-For $remote_addr;
        tcp_nodelay on;
        proxy_read_timeout 900s;
    }

    # HAProxy health check. Not Jicofo's /about/health: that fails while no bridge is operational
    # (JicofoHealthChecker: "No operational bridges available"), which with bridges.min = 0 at night would take
    # every shard out of the edge and leave nobody to create the load that scales the bridges up. A shard is
    # routable when nginx and Jicofo's REST answer; bridge supply is the scaler's and the alarms' business.
    location = /about/health {
        proxy_pass ${jicofo}/stats;
        proxy_read_timeout 10s;
    }

    location ^~ /conference-request/v1 {
        proxy_pass ${jicofo}/conference-request/v1;
        proxy_set_header X-Forwarded-For $remote_addr;
    }

    location ~ ^/(libs|css|static|images|fonts|lang|sounds|.well-known)/(.*)$ {
        add_header Cache-Control "public, max-age=3600";
        try_files $uri =404;
    }

    # Room pages (/room, /tenant/room) are the single-page app.
    location ~ ^/([^/?&:'"]+)/?$ {
        try_files $uri /index.html;
    }
    location ~ ^/([^/?&:'"]+)/([^/?&:'"]+)/?$ {
        try_files $uri /index.html;
    }
}
`;
}
