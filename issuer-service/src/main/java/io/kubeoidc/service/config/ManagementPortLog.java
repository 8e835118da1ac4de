package io.kubeoidc.service.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/**
 * One line for the management port, in place of Tomcat's, which also announce the container's unused main
 * listener ("initialized with port 0", "started on port -1": the documents are served by DocumentServer).
 */
@Component
class ManagementPortLog implements ApplicationListener<WebServerInitializedEvent> {
    private static final Logger log = LoggerFactory.getLogger(ManagementPortLog.class);

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        int port = event.getWebServer().getPort();
        if (port > 0) {
            log.info("Management port {}: /actuator/health, /actuator/prometheus", port);
        }
    }
}
