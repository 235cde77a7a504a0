//! The personal-data notice: a versioned text in Vietnamese and English, served by the API and
//! shown wherever personal data is collected. Version 1 is written on first use from the text
//! below; data-protection staff publish later versions.

use entity::privacy_notice;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::auth::Actor;
use crate::error::{AppError, AppResult};

/// The first notice (Law 91/2025/QH15 Art. 9: the data, the purpose, the controller, the
/// person's rights; Art. 19: handling rests on the agency's legal duty).
pub const DEFAULT_VI: &str = "\
THÔNG BÁO XỬ LÝ DỮ LIỆU CÁ NHÂN (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15, Nghị định 356/2025/NĐ-CP)

Bên kiểm soát dữ liệu: Ủy ban nhân dân Thành phố, qua Cổng tiếp nhận phản ánh, kiến nghị Góp Ý.

Dữ liệu được thu thập: họ tên; số điện thoại và/hoặc thư điện tử; nội dung phản ánh, kiến nghị và đánh giá (có thể chứa thông tin cá nhân khác do người gửi tự viết); mã hồ sơ liên quan; với tài khoản: tên đăng nhập; với doanh nghiệp: người liên hệ.

Mục đích và căn cứ:
1. Tiếp nhận, chuyển, giải quyết và trả lời phản ánh, kiến nghị; thống kê, chấm Chỉ số cải cách hành chính. Căn cứ: nhiệm vụ luật định của cơ quan nhà nước (Điều 19 Luật 91/2025/QH15), không cần sự đồng ý.
2. Liên hệ với người gửi về tiến độ và kết quả (tin nhắn, thư điện tử, Zalo): CHỈ KHI người gửi đồng ý.
3. Công khai họ tên người gửi cùng phản ánh đã trả lời: CHỈ KHI người gửi đồng ý. Mặc định không công khai danh tính.
Mỗi mục đích được đồng ý riêng; không chọn nghĩa là không đồng ý.

Ai được xem: cán bộ của đơn vị được giao xử lý và quản trị viên xem thông tin liên hệ (mỗi lần xem đều được ghi nhật ký); công chúng chỉ xem nội dung đã công khai, đã che số điện thoại, thư điện tử, số định danh, mã số thuế cá nhân và số nhà.

Thời gian lưu: thông tin liên hệ và thông tin cá nhân trong nội dung được ẩn danh {days} ngày sau khi phản ánh kết thúc; số liệu thống kê được giữ ở dạng không định danh.

Quyền của chủ thể dữ liệu: được biết; đồng ý hoặc rút lại sự đồng ý; xem, chỉnh sửa; nhận bản sao dữ liệu; yêu cầu xóa, hạn chế xử lý; phản đối xử lý. Gửi yêu cầu trên Cổng bằng tài khoản, hoặc bằng mã theo dõi và số điện thoại/thư điện tử đã khai. Yêu cầu được xác nhận trong 02 ngày làm việc và giải quyết trong thời hạn của Nghị định 356/2025/NĐ-CP.";

pub const DEFAULT_EN: &str = "\
PERSONAL DATA NOTICE (Law on Personal Data Protection 91/2025/QH15, Decree 356/2025/ND-CP)

Controller: the City People's Committee, through the Góp Ý feedback portal.

Data collected: name; phone number and/or e-mail; the text of feedback, petitions and ratings (which may hold other personal data the sender writes); related dossier codes; for accounts, the user name; for businesses, the contact person.

Purposes and basis:
1. Receiving, forwarding, handling and answering feedback and petitions; statistics and the administrative-reform (PAR) index. Basis: the agency's legal duty (Art. 19 of Law 91/2025/QH15); no consent needed.
2. Contacting the sender about progress and the outcome (SMS, e-mail, Zalo): ONLY WITH the sender's consent.
3. Publishing the sender's name with the answered item: ONLY WITH the sender's consent. By default no identity is published.
Each purpose is consented to separately; leaving a choice unticked means no consent.

Who sees it: officials of the unit handling the item and administrators see the contact (every read is logged); the public sees only what is published, with phone numbers, e-mails, ID numbers, individual tax codes and house numbers masked.

How long: the contact and the personal data in the text are anonymised {days} days after the item ends; statistics are kept without identity.

Your rights: to be informed; to consent or withdraw consent; to see and correct; to receive a copy; to ask for deletion or restriction; to object. Make a request on the portal with your account, or with the tracking code and the phone or e-mail you gave. Requests are acknowledged within 2 working days and carried out within the time limits of Decree 356/2025/ND-CP.";

/// The current notice, writing version 1 (for a retention of `days`) on first use.
pub async fn current(db: &DatabaseConnection) -> AppResult<privacy_notice::Model> {
    if let Some(n) = latest(db).await? {
        return Ok(n);
    }
    Err(AppError::internal("the personal-data notice is missing"))
}

async fn latest(db: &DatabaseConnection) -> AppResult<Option<privacy_notice::Model>> {
    Ok(privacy_notice::Entity::find()
        .order_by_desc(privacy_notice::Column::Version)
        .limit(1)
        .one(db)
        .await?)
}

/// Writes version 1 when there is no notice yet (at start-up; several servers may race, and
/// the first one's row stands).
pub async fn ensure(db: &DatabaseConnection, retain_days: u32) -> AppResult<()> {
    if latest(db).await?.is_some() {
        return Ok(());
    }
    let r = privacy_notice::ActiveModel {
        version: Set(1),
        text_vi: Set(DEFAULT_VI.replace("{days}", &retain_days.to_string())),
        text_en: Set(DEFAULT_EN.replace("{days}", &retain_days.to_string())),
        published_at: Set(crate::clock::now()),
        published_by: Set(None),
    }
    .insert(db)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// A version by number.
pub async fn get(
    db: &DatabaseConnection,
    version: i32,
) -> AppResult<Option<privacy_notice::Model>> {
    Ok(privacy_notice::Entity::find_by_id(version).one(db).await?)
}

/// Publishes a new version: data-protection staff and admins. Consents given under an older
/// version stand; new collections must show this one.
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    text_vi: &str,
    text_en: &str,
) -> AppResult<privacy_notice::Model> {
    let p = crate::access::require_data_protection(actor)?;
    let vi = crate::text::required("textVi", text_vi, 20_000)?;
    let en = crate::text::required("textEn", text_en, 20_000)?;
    let txn = crate::db::begin(db).await?;
    let next = privacy_notice::Entity::find()
        .order_by_desc(privacy_notice::Column::Version)
        .limit(1)
        .one(&*txn)
        .await?
        .map_or(1, |n| n.version + 1);
    let m = privacy_notice::ActiveModel {
        version: Set(next),
        text_vi: Set(vi),
        text_en: Set(en),
        published_at: Set(crate::clock::now()),
        published_by: Set(p.account_id.clone()),
    }
    .insert(&*txn)
    .await?;
    super::log(
        &*txn,
        super::Step {
            action: "NOTICE_PUBLISHED",
            note: Some(format!("v{next}")),
            ..super::Step::new(actor, crate::clock::now())
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}
