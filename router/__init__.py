"""Privacy router: Colombian PII classification, routing policy, model registry and routing log.

Entry points: `router.classifier.classify`, `router.policy.decide`,
`router.routed_model.RoutedChatModel`, `router.log.record_rows`. See docs/privacy-router.md.
"""
